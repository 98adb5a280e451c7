/**
 * Path segments built from data (a DHCPv6 client id, a MAC or ARP table entry, an interface
 * name) for the `uri`s and `Location`s the API returns. Such data may hold characters that end a
 * segment (`/`, `?`, `#`), start an escape (`%`), or cannot be in a header at all (control
 * characters, non-ASCII): percent-encoded, the address names the object again, since the router
 * decodes each segment before matching it.
 */

/** `value` percent-encoded as one RFC 3986 path segment; `:` and `@` (pchar) stay as they are. */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ':').replace(/%40/gi, '@');
}
