/** NSDB encodings: UUID strings, protobuf text format for models and state, binary provenance. */
export * from './uuid.js';
export * from './text-format.js';
export * from './zoom-object.js';
