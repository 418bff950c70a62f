/**
 * @centrex/voicemail — voicemail with message waiting: a SIP user agent of its
 * own behind the proxy, a small media endpoint (RTP, G.711 µ-law/A-law, RFC 4733
 * keys), mailboxes kept in files with a retention, and spoken prompts made with
 * espeak-ng (`scripts/make-prompts.mjs`).
 */
export { DtmfReceiver, dtmfPayloads } from "./dtmf.js";
export { MailboxFullError, VoicemailRefusal } from "./errors.js";
export { DEPOSIT_PREFIX, parseVoicemailCode, RETRIEVE_CODE, type VoicemailCode } from "./feature-codes.js";
export { aLawEncode, decodeG711, encodeG711, type Law, muLawEncode } from "./g711.js";
export { Mailboxes, type MailboxOptions, type VoiceMessage } from "./mailboxes.js";
export { MediaEndpoint, type PlayOutcome } from "./media-endpoint.js";
export { beep, type PromptName, Prompts } from "./prompts.js";
export { parseRtp, type RtpPacket, writeRtp } from "./rtp.js";
export { answerSdp, chooseMedia, type MediaChoice } from "./sdp.js";
export {
  type VoicemailKind,
  type VoicemailOptions,
  VoicemailService,
  type VoicemailTarget,
} from "./voicemail-service.js";
export { decodeWav, encodeWav } from "./wav.js";
