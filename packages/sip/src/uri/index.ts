export { escapeUri, unescapeUri } from "./escape.js";
export { formatSipUri, formatUri, sipUri, telUri } from "./format-uri.js";
export { isSipUri, isTelUri, parseUri } from "./parse-uri.js";
export { uriEquals } from "./uri-equals.js";
