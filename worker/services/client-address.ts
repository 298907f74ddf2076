// The address rate limits are keyed by. Cloudflare sets CF-Connecting-IP; X-Forwarded-For is
// client-controlled and never trusted. An IPv6 client usually owns a whole /64, so counting per
// address would give it 2^64 fresh counters: IPv6 addresses are keyed by their /64 prefix.
export function rateLimitAddress(connectingIp: string | undefined): string {
  if (!connectingIp) return 'unknown';
  if (!connectingIp.includes(':')) return connectingIp;
  return `${expandIpv6(connectingIp).slice(0, 4).join(':')}::/64`;
}

function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...fill, ...right].map((group) => group.replace(/^0+(?=.)/, ''));
}
