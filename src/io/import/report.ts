/**
 * The import report: what the importer inferred and how, what the files
 * cannot tell, what it skipped, and where the imported scenario, run in the
 * model, still differs from the machine. Its text is report/import.ts's.
 */

export interface ImportReport {
  /** The files read. */
  readonly sources: string[];
  readonly arch: string;
  readonly kernel: string;
  readonly blockSize: number;
  readonly inferred: string[];
  readonly unknown: string[];
  readonly skipped: string[];
  readonly mismatches: string[];
}

export class ReportBuilder {
  readonly sources: string[] = [];
  readonly inferred: string[] = [];
  readonly unknown: string[] = [];
  readonly skipped: string[] = [];
  readonly mismatches: string[] = [];

  infer(text: string): void {
    if (!this.inferred.includes(text)) this.inferred.push(text);
  }

  cannotKnow(text: string): void {
    if (!this.unknown.includes(text)) this.unknown.push(text);
  }

  skip(lines: readonly string[]): void {
    this.skipped.push(...lines);
  }

  mismatch(text: string): void {
    if (!this.mismatches.includes(text)) this.mismatches.push(text);
  }

  build(arch: string, kernel: string, blockSize: number): ImportReport {
    return {
      sources: this.sources,
      arch,
      kernel,
      blockSize,
      inferred: this.inferred,
      unknown: this.unknown,
      skipped: this.skipped,
      mismatches: this.mismatches,
    };
  }
}
