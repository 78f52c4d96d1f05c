import { InvalidRequestError } from '@switchboard/contracts';
import type { z } from 'zod';

/** One bad field of a request: where it is (`["tools", "0", "url"]`) and what is wrong with it. */
export interface FieldIssue {
  path: string[];
  message: string;
}

/** zod's issues, each naming its field; an unknown key is named as the field it would be. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...path, key], message: 'is not a known field' }));
    }
    return [{ path, message: issue.message }];
  });
}

/**
 * Parses what a client sent, or throws a 400 whose message names every bad field (`tools.0.url: …`) and whose
 * `details` list them as `{path, message}`.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = fieldIssues(parsed.error);
  const text = issues.map((i) => `${i.path.join('.') || what}: ${i.message}`);
  throw new InvalidRequestError(`invalid ${what}: ${text.join('; ')}`, { details: issues });
}
