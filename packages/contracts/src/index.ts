export * from './call.js';
export * from './endings.js';
export * from './errors.js';
export * from './events.js';
export * from './openai-realtime.js';
export * from './requests.js';
export * from './subjects.js';
export * from './twilio-media.js';
