/**
 * Content negotiation in the original's two regimes (rest-api-core.md §2.3):
 * G (generic): the single header value must be compatible with the allow-list, else 406.
 * E (explicit, JAX-RS): Accept picks among produced types (406), Content-Type must be consumed (415).
 */
import { compatible, format, isWildcard, JSON_TYPE, parseMediaType, type MediaType } from '../../../lib/http/media-types.js';
import { HttpError, notAcceptable, unsupportedMediaType } from '../../../lib/http/errors.js';
import type { Regime } from './types.js';

function parsed(types: string[]): MediaType[] {
  return types.map((t) => parseMediaType(t)).filter((m): m is MediaType => m !== undefined);
}

/** G: one media type in the header, compatible with one allowed; answers with the requested type. */
function generic(header: string | undefined, allowed: string[]): string {
  if (!header || header.includes(',')) throw notAcceptable();
  const m = parseMediaType(header);
  if (!m) throw notAcceptable();
  const match = parsed(allowed).find((a) => compatible(a, m));
  if (!match) throw notAcceptable();
  if (isWildcard(m)) return allowed.includes(JSON_TYPE) ? JSON_TYPE : format(match);
  return format(m);
}

/**
 * Outcomes per (route's type list, regime, header): a request's headers are a handful of distinct
 * strings, so each is parsed and matched once, not per request. A string is the answer, `null` a
 * refusal (the error is made anew each time). Bounded: a full table is dropped.
 */
const outcomes = new WeakMap<readonly string[], Map<string, string | null>>();
const MAX_OUTCOMES = 256;

function memo(list: readonly string[], key: string, compute: () => string): string {
  let table = outcomes.get(list);
  if (!table) {
    table = new Map();
    outcomes.set(list, table);
  }
  const known = table.get(key);
  if (known !== undefined) {
    if (known === null) throw new RefusedAgain();
    return known;
  }
  if (table.size >= MAX_OUTCOMES) table.clear();
  try {
    const answer = compute();
    table.set(key, answer);
    return answer;
  } catch (e) {
    if (e instanceof HttpError) table.set(key, null);
    throw e;
  }
}

/** Thrown by `memo` for a remembered refusal; the callers turn it into their error. */
class RefusedAgain extends Error {}

/** The response type for a request's Accept header. */
export function negotiateResponse(regime: Regime, accept: string | undefined, produces: string[]): string {
  try {
    return memo(produces, `A${regime}${accept ?? '\u0000'}`, () => negotiate(regime, accept, produces));
  } catch (e) {
    if (e instanceof RefusedAgain) throw notAcceptable();
    throw e;
  }
}

function negotiate(regime: Regime, accept: string | undefined, produces: string[]): string {
  if (regime === 'G') return generic(accept, produces);
  const wanted = (accept && accept.trim() !== '' ? accept : '*/*')
    .split(',')
    .map((t) => parseMediaType(t))
    .filter((m): m is MediaType => m !== undefined)
    .sort((a, b) => b.q - a.q);
  for (const w of wanted) {
    if (w.q <= 0) continue;
    const hit = parsed(produces).find((p) => compatible(p, w));
    if (hit) return format(hit);
  }
  throw notAcceptable();
}

/** Checks a request's Content-Type; G answers 406 for a mismatch, E answers 415. */
export function checkRequestType(regime: Regime, contentType: string | undefined, consumes: string[]): void {
  try {
    memo(consumes, `C${regime}${contentType ?? '\u0000'}`, () => {
      checkType(regime, contentType, consumes);
      return '';
    });
  } catch (e) {
    if (e instanceof RefusedAgain) throw regime === 'G' ? notAcceptable() : unsupportedMediaType();
    throw e;
  }
}

function checkType(regime: Regime, contentType: string | undefined, consumes: string[]): void {
  if (regime === 'G') {
    generic(contentType, consumes);
    return;
  }
  const m = contentType ? parseMediaType(contentType) : undefined;
  if (!m || !parsed(consumes).some((c) => compatible(c, m))) throw unsupportedMediaType();
}
