/**
 * The endpoints a pipeline declares it connects to (its Kafka brokers, a database): with the tenant
 * egress wall up, its pods reach only those besides what Flink itself needs. NetworkPolicies speak
 * addresses, so an endpoint is an IPv4 CIDR and a TCP port. Pure: the spec's rules, and the overlap
 * test the runtime applies against the cluster's own ranges.
 */
export interface DeclaredEndpoint {
  readonly cidr: string;
  readonly port: number;
}

export const MAX_DECLARED_ENDPOINTS = 16;
/** A range wider than this is not an endpoint but a piece of the internet. */
export const WIDEST_PREFIX = 16;

interface Ipv4Range {
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

/** `a.b.c.d/n` with the address's host bits zero (as NetworkPolicy's ipBlock requires), or undefined. */
export function parseIpv4Cidr(cidr: string): Ipv4Range | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32 || match.slice(1, 6).some((part) => part.length > 1 && part.startsWith('0'))) return undefined;
  const base = octets.reduce((value, octet) => value * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined;
  return { first: base, last: base + size - 1, prefix };
}

export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** Ranges no tenant may declare, whatever the cluster: they are this host, or every cloud's metadata service. */
const NEVER = [
  { cidr: '0.0.0.0/8', why: 'is "this network"' },
  { cidr: '127.0.0.0/8', why: 'is loopback' },
  { cidr: '169.254.0.0/16', why: 'is link-local, where clouds serve instance metadata and credentials' },
  { cidr: '224.0.0.0/3', why: 'is multicast or reserved' },
] as const;

/** Why a tenant may not declare `cidr`, or undefined. */
export function declaredCidrProblem(cidr: string): string | undefined {
  const range = parseIpv4Cidr(cidr);
  if (!range) return `must be an IPv4 CIDR with its host bits zero, such as 203.0.113.7/32, not '${cidr}'`;
  if (range.prefix < WIDEST_PREFIX) return `must be /${WIDEST_PREFIX} or narrower: ${cidr} is not an endpoint`;
  const never = NEVER.find((n) => rangesOverlap(range, parseIpv4Cidr(n.cidr) as Ipv4Range));
  return never ? `${cidr} overlaps ${never.cidr}, which ${never.why}` : undefined;
}

/**
 * Declared endpoints inside the cluster's own ranges (pods, Services, nodes) would reopen what the
 * wall closes: another tenant's pods, the kubelets. Problems naming the spec field; none when clear.
 */
export function clusterRangeProblems(endpoints: readonly DeclaredEndpoint[], clusterRanges: readonly string[]): string[] {
  const ranges = clusterRanges.map((cidr) => ({ cidr, range: parseIpv4Cidr(cidr) }));
  return endpoints.flatMap(({ cidr }, i) => {
    const range = parseIpv4Cidr(cidr);
    const hit = range && ranges.find((r) => r.range && rangesOverlap(range, r.range));
    return hit ? [`egress.${i}.cidr: ${cidr} overlaps the cluster's own range ${hit.cidr}`] : [];
  });
}
