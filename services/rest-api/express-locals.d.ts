/**
 * Express's per-response locals carry the request's pipeline context (services/rest-api/app.ts):
 * typed here, so that no stage reads or writes it through a cast.
 */
import type { Exchange } from './exchange.js';

declare global {
  namespace Express {
    interface Locals {
      exchange?: Exchange;
    }
  }
}
