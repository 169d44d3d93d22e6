/** CSRF protection for the pages' forms: a double-submit token (csrf-csrf) bound to what the form is about. */
import type { Request } from 'express';
import { doubleCsrf } from 'csrf-csrf';

export function formProtection(options: { secret: string; secure: boolean; cookiePath: string; boundTo: (req: Request) => string; cookieName?: string }) {
  return doubleCsrf({
    getSecret: () => options.secret,
    getSessionIdentifier: options.boundTo,
    // Forms that share a path give their own name, so one form's token never overwrites another's.
    cookieName: options.cookieName ?? `lscp.csrf${options.cookiePath.replace(/\W+/g, '.')}`,
    cookieOptions: { sameSite: 'strict', secure: options.secure, path: options.cookiePath, httpOnly: true },
    getCsrfTokenFromRequest: (req) => (req.body as Record<string, string> | undefined)?._csrf,
  });
}
