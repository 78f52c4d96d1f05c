import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** `.env` as a map (KEY=value lines, # comments), or nothing when the file does not exist. */
export function readDotEnv(path: string): Record<string, string> {
  return existsSync(path) ? (parseEnv(readFileSync(path, 'utf8')) as Record<string, string>) : {};
}

/** Sets `KEY=value` in an env file: replaces the KEY= line (commented out or not), or appends one. */
export function setInEnvFile(path: string, key: string, value: string): void {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const line = new RegExp(`^#?\\s*${key}=.*$`, 'm');
  const next = line.test(text)
    ? text.replace(line, `${key}=${value}`)
    : `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${key}=${value}\n`;
  writeFileSync(path, next, { mode: 0o600 });
}

export interface PreparedEnv {
  /** What the stack runs with: .env, then the process environment over it. */
  env: Record<string, string>;
  /** Settings this run wrote into .env. */
  written: string[];
  createdFromExample: boolean;
}

/**
 * The settings of a local run. Creates `.env` from `.env.example` when there is none, and writes a fresh dev
 * TWILIO_AUTH_TOKEN and API_KEYS into it when neither .env nor the environment has them, so that the
 * webhooks `pnpm demo` signs and the API it reads agree with the running stack.
 */
export function prepareEnv(
  envPath: string,
  examplePath: string,
  processEnv: Record<string, string | undefined>,
): PreparedEnv {
  let createdFromExample = false;
  if (!existsSync(envPath) && existsSync(examplePath)) {
    copyFileSync(examplePath, envPath);
    createdFromExample = true;
  }
  const written: string[] = [];
  const generated: Record<string, () => string> = {
    TWILIO_AUTH_TOKEN: () => randomBytes(16).toString('hex'),
    API_KEYS: () => `dev-${randomBytes(12).toString('hex')}`,
  };
  const fromFile = readDotEnv(envPath);
  for (const [key, make] of Object.entries(generated)) {
    if (processEnv[key]?.trim() || fromFile[key]?.trim()) continue;
    setInEnvFile(envPath, key, make());
    written.push(key);
  }
  const env: Record<string, string> = { ...readDotEnv(envPath) };
  for (const [key, value] of Object.entries(processEnv)) if (value !== undefined) env[key] = value;
  return { env, written, createdFromExample };
}
