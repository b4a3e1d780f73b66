/**
 * Splits CSV text that arrives in chunks into batches of whole records, each
 * starting with the header line, so a large file streams to the service in
 * requests of bounded size. A record ends at a line break outside double
 * quotes (a quoted field may hold line breaks). Pure: the CLI feeds it file
 * chunks and sends what it yields.
 */
export class CsvBatcher {
  private header: string | undefined;
  private pending = '';
  private records: string[] = [];
  private inQuotes = false;
  /** Where scanning of `pending` resumes. */
  private scanned = 0;

  constructor(private readonly batchRows: number) {}

  /** Feeds text; answers the batches completed by it. */
  push(text: string): string[] {
    this.pending += text;
    const out: string[] = [];
    let start = 0;
    for (let i = this.scanned; i < this.pending.length; i++) {
      const c = this.pending.charCodeAt(i);
      if (c === 34) this.inQuotes = !this.inQuotes;
      else if (c === 10 && !this.inQuotes) {
        this.take(this.pending.slice(start, i + 1), out);
        start = i + 1;
      }
    }
    this.pending = this.pending.slice(start);
    this.scanned = this.pending.length;
    return out;
  }

  /** The last batch, with a final record that had no line break. */
  end(): string[] {
    const out: string[] = [];
    if (this.pending.trim() !== '') this.take(this.pending.endsWith('\n') ? this.pending : `${this.pending}\n`, out);
    this.pending = '';
    if (this.records.length) out.push(this.flush());
    return out;
  }

  private take(record: string, out: string[]): void {
    if (this.header === undefined) {
      this.header = record.charCodeAt(0) === 0xfeff ? record.slice(1) : record;
      return;
    }
    if (record.trim() === '') return;
    this.records.push(record);
    if (this.records.length >= this.batchRows) out.push(this.flush());
  }

  private flush(): string {
    const batch = this.header + this.records.join('');
    this.records = [];
    return batch;
  }

}
