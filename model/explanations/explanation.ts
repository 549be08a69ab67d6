// The general text about one result code: what `preflight explain CODE` prints and the HTML report embeds.

export interface CodeExplanation {
  /** A few words, lower case: "the name is blocked by DNS policy". */
  title: string;
  /** What the code says was observed. */
  meaning: string;
  /** How it usually comes about, most common first; empty for a passing code. */
  causes: readonly string[];
  /** What to change, in general (a result's own remediation is specific to what it observed). */
  change: string;
  /** The Microsoft requirement it relates to, with where Microsoft states it. */
  requirement: string;
}
