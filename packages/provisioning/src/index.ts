/**
 * @centrex/provisioning — desk phones configured by the operator (service terms rule 1).
 *
 * - families      phone families as data: templates/<family>/manifest.json and its templates
 * - template      the logic-less template language (errors name the template and the key)
 * - phone-config  what a phone is told (server by DNS name, transport, expiry, failover…) → files
 */
export { PhoneInputError, ProvisioningError, TemplateError } from "./errors.js";
export {
  DEFAULT_TEMPLATE_DIR,
  type FamilyFile,
  fileName,
  PhoneCatalog,
  type PhoneFamily,
  type PhoneModel,
} from "./families.js";
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
export {
  type CompiledTemplate,
  compileTemplate,
  renderTemplate,
  type TemplateFormat,
  type TemplateMaps,
  type TemplateScope,
  type TemplateValue,
} from "./template.js";
