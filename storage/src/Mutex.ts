/**
 * A small async mutex. The log's group-commit round takes it with {@link tryLock} (a busy record
 * waits for the next round instead of stalling the others); trims and reads wait with {@link lock}.
 * Release hands the lock straight to the next waiter, so a trim is never starved by rounds.
 */
export class Mutex {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly onIdle: () => void = () => {}) {}

  get locked(): boolean {
    return this.held;
  }

  tryLock(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }

  lock(): Promise<void> {
    if (this.tryLock()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  unlock(): void {
    const next = this.waiters.shift();
    if (next) {
      next();
      return;
    }
    this.held = false;
    this.onIdle();
  }
}
