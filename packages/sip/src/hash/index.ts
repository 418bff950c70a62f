export { HmacSha256 } from "./hmac-sha256.js";
export { hashHex, hashLatin1 } from "./one-shot-hash.js";
