/**
 * @centrex/provisioning — desk phones configured by the operator (service terms rule 1).
 *
 * - families      phone families as data: templates/<family>/manifest.json and its templates
 * - template      the logic-less template language (errors name the template and the key)
 * - phone-config  what a phone is told (server by DNS name, transport, expiry, failover…) → files
 * - phone-data    a phone's data read from the store, SIP passwords unsealed for credential files
 * - seal          the provisioning key and the sealed copies of SIP passwords
 * - credential    per-phone provisioning credentials (HTTP Basic over TLS)
 * - inventory     the operator's phone operations: add, move, remove, list (CLI and API)
 * - provisioning-server  the HTTPS service phones fetch their files from
 * - resync        check-sync NOTIFY to a phone's current registrations
 */

export {
  checkProvisioningPassword,
  hashProvisioningPassword,
  newProvisioningPassword,
  parseBasicAuth,
} from "./credential.js";
export { PhoneInputError, ProvisioningError, TemplateError } from "./errors.js";
export {
  DEFAULT_TEMPLATE_DIR,
  type FamilyFile,
  fileName,
  PhoneCatalog,
  type PhoneFamily,
  type PhoneModel,
} from "./families.js";
export { type AddedPhone, type AddPhoneInput, type MovedPhone, PhoneInventory } from "./inventory.js";
export {
  DEFAULT_PHONE_SETTINGS,
  type DnsMode,
  type FailbackMode,
  type PhoneData,
  type PhoneLine,
  type PhoneSettings,
  type PhoneTransport,
  phoneFiles,
  phoneScope,
  type RenderedFile,
  renderPhoneFile,
} from "./phone-config.js";
export { loadPhoneData, SecretUnavailableError } from "./phone-data.js";
export {
  type FetchResult,
  ProvisioningServer,
  type ProvisioningServerOptions,
} from "./provisioning-server.js";
export { PhoneResync, type PhoneResyncOptions, type ResyncAttempt, type ResyncResult } from "./resync.js";
export { defaultSealKeyPath, loadSealKey, type SealKey, seal, unseal } from "./seal.js";
export {
  type CompiledTemplate,
  compileTemplate,
  renderTemplate,
  type TemplateFormat,
  type TemplateMaps,
  type TemplateScope,
  type TemplateValue,
} from "./template.js";
