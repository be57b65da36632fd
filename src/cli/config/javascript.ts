/**
 * Whether `name` is a JavaScript file by its extension (`.js`, `.cjs`, `.mjs`): what node runs, as
 * pm2 runs a script, and what subvisor never runs to read a config (pm2's `ecosystem.config.js`).
 */
export function isJavaScriptName(name: string): boolean {
  return JAVASCRIPT_NAME.test(name);
}

/** The extension itself, to drop from a name. */
export const JAVASCRIPT_NAME = /\.[cm]?js$/i;
