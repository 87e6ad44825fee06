export { Hookline, VERSION } from './client.js';
export {
  HooklineError,
  ApiError,
  ValidationError,
  AuthenticationError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  ConnectionError,
  WebhookVerificationError,
} from './errors.js';
export { Webhook } from './webhook.js';
