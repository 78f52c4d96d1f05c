/** One server-side failure, as the console's system page lists it. */
export interface RecentError {
  at: string;
  method: string;
  path: string;
  status: number;
  code: string;
  message: string;
}

/** The last `capacity` server-side errors of this gateway, newest first. */
export class RecentErrors {
  private readonly items: RecentError[] = [];

  constructor(private readonly capacity = 50) {}

  add(error: RecentError): void {
    this.items.unshift(error);
    if (this.items.length > this.capacity) this.items.pop();
  }

  list(): readonly RecentError[] {
    return this.items;
  }
}
