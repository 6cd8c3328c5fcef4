/**
 * A typed event with its listeners, so that a part can say what happened without knowing who
 * listens (the bus says a version was seen; sessions listen). Listeners run in subscription order.
 */
export class Signal<Args extends unknown[]> {
  readonly #listeners: Array<(...args: Args) => void> = []

  on(listener: (...args: Args) => void): void {
    this.#listeners.push(listener)
  }

  emit(...args: Args): void {
    for (const listener of this.#listeners) listener(...args)
  }
}
