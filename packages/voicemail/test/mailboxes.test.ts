import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Mailboxes, MailboxFullError, Prompts } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "centrex-vm-"));
test.after(() => rmSync(root, { recursive: true, force: true }));
const DAY = 86_400_000;

test("messages: stored as WAV, listed new first, heard, deleted; counts follow", async () => {
  let now = 1_000_000;
  const boxes = new Mailboxes({ root, retentionDays: 30, maxMessages: 2, clock: () => now });
  const audio = Int16Array.from({ length: 8000 }, (_, i) => (i % 100) * 10);
  const first = await boxes.save(1, "202", "sip:201@pbx.test", audio);
  now += 1000;
  const second = await boxes.save(1, "202", "sip:203@pbx.test", audio);
  assert.is(first.seconds, 1);
  assert.equal(await boxes.counts(1, "202"), { newMessages: 2, oldMessages: 0 });
  assert.equal([...(await boxes.audio(first))].slice(0, 3), [0, 10, 20], "the audio reads back");
  await boxes.markHeard(first);
  assert.equal(
    (await boxes.list(1, "202")).map((m) => m.id),
    [second.id, first.id],
    "new ones first",
  );
  assert.equal(await boxes.counts(1, "202"), { newMessages: 1, oldMessages: 1 });
  try {
    await boxes.save(1, "202", "x", audio);
    assert.unreachable("a full box takes no more");
  } catch (err) {
    assert.instance(err, MailboxFullError);
  }
  await boxes.delete(second);
  assert.equal(await boxes.counts(1, "202"), { newMessages: 0, oldMessages: 1 });
  assert.equal(await boxes.counts(1, "203"), { newMessages: 0, oldMessages: 0 }, "no folder: empty");
});

test("retention: the sweep deletes what is older than the setting, names the boxes it changed", async () => {
  let now = 50 * DAY;
  const boxes = new Mailboxes({ root: join(root, "r"), retentionDays: 7, maxMessages: 10, clock: () => now });
  const audio = new Int16Array(8000);
  await boxes.save(4, "300", "a", audio);
  now += 6 * DAY;
  await boxes.save(4, "300", "b", audio);
  now += 2 * DAY;
  assert.equal(await boxes.sweep(), [{ customerId: 4, extension: "300" }]);
  assert.equal(
    (await boxes.list(4, "300")).map((m) => m.from),
    ["b"],
  );
  assert.is(readdirSync(join(root, "r", "4", "300")).length, 2, "one .wav and one .json left");
  assert.equal(await boxes.sweep(), []);
});

test("a mailbox name that could leave the folder is refused", async () => {
  const boxes = new Mailboxes({ root, retentionDays: 1, maxMessages: 1 });
  let refused = false;
  try {
    await boxes.save(1, "../../etc", "x", new Int16Array(1));
  } catch (err) {
    refused = err instanceof RangeError;
  }
  assert.ok(refused);
});

test("greeting: none until recorded, then the recording", async () => {
  const boxes = new Mailboxes({ root, retentionDays: 1, maxMessages: 1 });
  assert.is(await boxes.greeting(2, "500"), undefined);
  await boxes.setGreeting(2, "500", Int16Array.from([5, 6, 7]));
  assert.equal([...((await boxes.greeting(2, "500")) ?? [])], [5, 6, 7]);
});

test("the committed prompts load, each a few seconds of speech at most", () => {
  const p = new Prompts();
  for (const name of ["greeting", "message-menu", "digit-7"] as const) {
    const s = p.get(name);
    assert.ok(s.length > 1600 && s.length < 8000 * 6, `${name}: ${s.length} samples`);
  }
  assert.is(p.number(12).length, 2);
});

test.run();
