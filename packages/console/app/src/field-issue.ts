/** One bad field of a 400, as the API's `details` list them: where it is (`["tools", "0", "url"]`), what is wrong. */
export interface FieldIssue {
  path: readonly string[];
  message: string;
}
