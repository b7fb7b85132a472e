import type { View } from '../context.js';
import { html } from '../html.js';

/** The login form: a bearer token, as the API takes, kept afterwards in an HttpOnly cookie. */
export function loginPage(reason: string, next: string): View {
  return {
    title: 'Log in',
    body: html`${reason === '' ? '' : html`<p class="error">${reason}</p>`}<form method="post" action="/login" class="login"><label for="token">Bearer token (the one your Baton clients send)</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus><input type="hidden" name="next" value="${next}"><button type="submit">Log in</button></form>`,
    status: reason === '' ? 200 : 401,
  };
}
