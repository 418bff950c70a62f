import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { LedgerKeyError } from "../errors.js";

/** The node's ledger key: signs records and checkpoints. Verify-only keys have no private half. */
export interface LedgerKey {
  readonly privateKey: KeyObject | undefined;
  readonly publicKey: KeyObject;
}

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): fixed 16-byte prefix + 32-byte seed.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function fromSeed(seed: Buffer): LedgerKey {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * Reads key material from configuration: a PEM private key (PKCS#8), a PEM public key (verify
 * only), or a raw 32-byte Ed25519 seed given as bytes, 64 hex digits or base64.
 */
export function loadLedgerKey(material: string | Buffer): LedgerKey {
  if (Buffer.isBuffer(material)) {
    if (material.length === 32) return fromSeed(material);
    material = material.toString("utf8");
  }
  const text = material.trim();
  try {
    if (text.includes("-----BEGIN")) {
      if (text.includes("PUBLIC KEY")) {
        const publicKey = createPublicKey(text);
        if (publicKey.asymmetricKeyType !== "ed25519") throw new LedgerKeyError("ledger key is not Ed25519");
        return { privateKey: undefined, publicKey };
      }
      const privateKey = createPrivateKey(text);
      if (privateKey.asymmetricKeyType !== "ed25519") throw new LedgerKeyError("ledger key is not Ed25519");
      return { privateKey, publicKey: createPublicKey(privateKey) };
    }
  } catch (err) {
    if (err instanceof LedgerKeyError) throw err;
    throw new LedgerKeyError(`ledger key: unreadable PEM (${(err as Error).message})`);
  }
  if (/^[0-9a-fA-F]{64}$/.test(text)) return fromSeed(Buffer.from(text, "hex"));
  const b64 = Buffer.from(text, "base64");
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text) && b64.length === 32) return fromSeed(b64);
  throw new LedgerKeyError("ledger key: expected a PEM Ed25519 key or a 32-byte seed (hex or base64)");
}

/** A fresh Ed25519 key pair as PEM (PKCS#8 private, SPKI public), for `ledger.key` in the config. */
export function generateLedgerKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

export function signText(key: LedgerKey, text: string): string {
  if (key.privateKey === undefined) throw new LedgerKeyError("ledger key is verify-only: cannot sign");
  return sign(null, Buffer.from(text, "utf8"), key.privateKey).toString("base64");
}

export function verifyText(key: LedgerKey, text: string, sig: string): boolean {
  try {
    return verify(null, Buffer.from(text, "utf8"), key.publicKey, Buffer.from(sig, "base64"));
  } catch {
    return false;
  }
}
