// Talks to the real Worker (SELF) like a browser would: same-origin headers on mutations and a
// cookie jar per client, so each test acts as one or more independent users.
import { SELF } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

export const ORIGIN = 'http://localhost';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

let clients = 0;

export class ApiClient {
  cookie: string | null = null;
  /** Each client comes from its own address (as Cloudflare reports it), like separate users. */
  readonly address = `198.51.${Math.floor(++clients / 250) % 250}.${(clients % 250) + 1}`;

  constructor(readonly defaultHeaders: Record<string, string> = { origin: ORIGIN }) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const init: RequestInit = {
      method,
      headers: {
        ...(method === 'GET' || method === 'HEAD' ? {} : this.defaultHeaders),
        ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        'cf-connecting-ip': this.address,
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' || body instanceof FormData ? body : JSON.stringify(body),
      redirect: 'manual',
    };
    const response = await SELF.fetch(`${ORIGIN}${path}`, init);
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const [pair] = setCookie.split(';');
      const value = pair?.split('=').slice(1).join('=');
      this.cookie = value ? pair! : null;
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
}

let counter = 0;
/** A unique email per call, so tests in one file never collide. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export const PASSWORD = 'correct horse battery staple';

export interface SignupOptions {
  email?: string;
  name?: string;
  workspaceName?: string;
  template?: string;
  locale?: 'zh-CN' | 'en';
  sampleData?: boolean;
}

/** Signs up a new user with a new workspace; returns the logged-in client. */
export async function signUp(options: SignupOptions = {}) {
  const client = new ApiClient();
  const email = options.email ?? uniqueEmail();
  const response = await client.post('/api/auth/signup', {
    email,
    password: PASSWORD,
    name: options.name ?? 'Test Owner',
    workspaceName: options.workspaceName ?? 'Acme Trading',
    template: options.template ?? 'b2b-general',
    locale: options.locale ?? 'en',
    sampleData: options.sampleData ?? false,
  });
  if (response.status !== 201) throw new Error(`signup failed: ${response.status} ${response.text}`);
  return { client, email, user: response.body.user as { id: string }, tenant: response.body.tenant as { id: string; slug: string; name: string } };
}

/**
 * A second person in `tenantId` with `role`: signs them up (with a workspace of their own) and adds
 * a membership directly, since inviting is another feature's job.
 */
export async function addMember(tenantId: string, role: 'admin' | 'member' | 'viewer', name = `${role} person`) {
  const person = await signUp({ name, workspaceName: `${name} home` });
  await env.DB.prepare(`insert into memberships (tenant_id, user_id, role, created_at) values (?, ?, ?, ?)`)
    .bind(tenantId, person.user.id, role, Date.now())
    .run();
  return person;
}
