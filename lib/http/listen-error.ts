/**
 * Why a listener could not bind, in one line that names the setting to change: what an operator
 * needs from an EADDRINUSE, not a stack trace.
 */

export interface ListenTarget {
  host: string;
  port: number;
  /** the settings that choose the address and the port, e.g. cluster.rest_api.http_host / http_port */
  hostKey: string;
  portKey: string;
}

export function listenErrorMessage(e: unknown, t: ListenTarget): string {
  const code = (e as NodeJS.ErrnoException).code;
  const where = `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the port is in use by another process; set ${t.portKey} to a free one (--set ${t.portKey}=PORT)`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need root); set ${t.portKey} to another one (--set ${t.portKey}=PORT)`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where}: not an address of this machine; set ${t.hostKey} to one (--set ${t.hostKey}=ADDRESS)`;
    default:
      return `cannot listen on ${where}: ${code ?? (e as Error).message} (${t.hostKey}, ${t.portKey})`;
  }
}
