import { type Browser, chromium } from "playwright-core";
import { requireCommand } from "./processes.js";

/**
 * Debian's Chromium, headless, driven by playwright-core (the console's end-to-end tests).
 * Playwright gives each launch a fresh profile (its own --user-data-dir in a temp folder), and
 * the flags keep the browser from reaching anything but the loopback pages it is sent to.
 */
export function launchChromium(): Promise<Browser> {
  requireCommand("chromium", "chromium");
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
