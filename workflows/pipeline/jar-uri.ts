/**
 * Where a connector's jar may come from. The JobManager fetches it from inside the fleet's network,
 * so a URI is a request the fleet makes on the tenant's behalf: to the cloud metadata service, the
 * API server, MinIO or any private address it must not go. Pure (the workflow sandbox has URL).
 *
 * Remote jars: https only, no userinfo, a public DNS name or a public IP literal. The host is read
 * through WHATWG URL, which turns every IPv4 spelling (`127.1`, `2130706433`, `0x7f000001`,
 * `0177.0.0.1`) into dotted decimal, so the ranges below see them all. A DNS name that resolves to a
 * private address is not caught here: that takes an egress policy at the network.
 * Local jars: file:// with an absolute path; that it lies in the tenant's own storage is checked
 * where the runtime is known (activities/pipeline/tenant-storage.ts).
 */
const BLOCKED_IPV4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

/** Names that only ever mean this machine or a private network. */
const INTERNAL_SUFFIXES = ['localhost', 'local', 'internal', 'intranet', 'lan', 'home.arpa', 'svc', 'cluster.local', 'arpa'];

function ipv4Number(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function blockedIpv4(value: number): boolean {
  return BLOCKED_IPV4.some(([base, bits]) => Math.floor(value / 2 ** (32 - bits)) === Math.floor((ipv4Number(base) as number) / 2 ** (32 - bits)));
}

/** The eight 16-bit groups of a WHATWG-serialised IPv6 address (compressed, lowercase, no dotted tail). */
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** Only global unicast (2000::/3) is public; of it, 6to4 (2002::/16) embeds any IPv4 address. */
function blockedIpv6(address: string): boolean {
  const groups = ipv6Groups(address);
  const first = groups[0] as number;
  return first < 0x2000 || first > 0x3fff || first === 0x2002;
}

function hostProblem(hostname: string): string | undefined {
  if (hostname.startsWith('[')) return blockedIpv6(hostname.slice(1, -1)) ? `must not point at a loopback, link-local, private or unspecified address (${hostname})` : undefined;
  const ipv4 = ipv4Number(hostname);
  if (ipv4 !== undefined) return blockedIpv4(ipv4) ? `must not point at a loopback, link-local, private or unspecified address (${hostname})` : undefined;
  const name = hostname.replace(/\.$/, '');
  if (!name.includes('.')) return `must name a public host, not ${name}`;
  if (INTERNAL_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`))) return `must name a public host, not the internal name ${name}`;
  return undefined;
}

/** Why the jar URI is refused, or undefined. */
export function jarUriProblem(jarUri: string): string | undefined {
  if (/^file:/i.test(jarUri)) {
    return /^file:\/\/\/\S+\.jar$/i.test(jarUri) ? undefined : 'must be file:///<absolute path>.jar (inside the tenant\'s storage) or https://<public host>/<path>.jar';
  }
  let url: URL;
  try {
    url = new URL(jarUri);
  } catch {
    return 'must be file:///<absolute path>.jar (inside the tenant\'s storage) or https://<public host>/<path>.jar';
  }
  if (url.protocol !== 'https:') return `must use https:// for a remote jar, not ${url.protocol}//`;
  if (url.username !== '' || url.password !== '' || /^https:\/\/[^/]*@/i.test(jarUri)) return 'must not carry a user name or password (user@host)';
  if (url.search !== '' || url.hash !== '' || !url.pathname.endsWith('.jar')) return 'must name a .jar file, with no query or fragment';
  return hostProblem(url.hostname);
}
