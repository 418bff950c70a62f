export { randomBase64url, randomHex } from "./random-pool.js";
