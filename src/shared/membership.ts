/**
 * Many-to-many membership of connections in named sets (rooms), with both
 * directions indexed and empty sets removed at once, so nothing outlives its
 * last member.
 *
 * @module
 */

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * Which members belong to which named sets. Used for rooms (a connection in
 * many rooms) and for users (a connection owned by one user).
 *
 * @example
 * ```ts
 * import { Membership } from "./membership.ts";
 * const rooms = new Membership<string>();
 * rooms.add("lobby", "conn-1");
 * console.log(rooms.size("lobby")); // 1
 * rooms.removeAll("conn-1");
 * console.log(rooms.count); // 0
 * ```
 */
export class Membership<Member> {
  #members = new Map<string, Set<Member>>();
  #names = new Map<Member, Set<string>>();

  /** How many non-empty sets exist. */
  get count(): number {
    return this.#members.size;
  }

  /** How many members are in at least one set. */
  get memberCount(): number {
    return this.#names.size;
  }

  /** Adds `member` to `name`; returns the new size, or -1 if it was already there. */
  add(name: string, member: Member): number {
    let members = this.#members.get(name);
    if (members === undefined) {
      members = new Set();
      this.#members.set(name, members);
    } else if (members.has(member)) {
      return -1;
    }
    members.add(member);
    let names = this.#names.get(member);
    if (names === undefined) {
      names = new Set();
      this.#names.set(member, names);
    }
    names.add(name);
    return members.size;
  }

  /** Removes `member` from `name`; returns the size left, or -1 if it was not there. */
  remove(name: string, member: Member): number {
    const members = this.#members.get(name);
    if (members === undefined || !members.delete(member)) return -1;
    if (members.size === 0) this.#members.delete(name);
    const names = this.#names.get(member);
    names?.delete(name);
    if (names?.size === 0) this.#names.delete(member);
    return members.size;
  }

  /** Removes `member` from every set; returns each set it left with the size left. */
  removeAll(member: Member): Array<[name: string, size: number]> {
    const names = this.#names.get(member);
    if (names === undefined) return [];
    const left: Array<[string, number]> = [];
    for (const name of [...names]) left.push([name, this.remove(name, member)]);
    return left;
  }

  /** The names of the sets `member` is in. */
  namesOf(member: Member): ReadonlySet<string> {
    return this.#names.get(member) ?? NO_NAMES;
  }

  /** The members of `name` (empty when the set does not exist). */
  membersOf(name: string): ReadonlySet<Member> {
    return this.#members.get(name) ?? (NO_NAMES as ReadonlySet<never>);
  }

  /** How many members `name` has. */
  size(name: string): number {
    return this.#members.get(name)?.size ?? 0;
  }

  /** The members of any of `names`, each once. */
  *union(names: readonly string[]): IterableIterator<Member> {
    if (names.length === 1) {
      yield* this.membersOf(names[0]);
      return;
    }
    const seen = new Set<Member>();
    for (const name of names) {
      for (const member of this.membersOf(name)) {
        if (seen.has(member)) continue;
        seen.add(member);
        yield member;
      }
    }
  }

  /** The names of all non-empty sets. */
  names(): IterableIterator<string> {
    return this.#members.keys();
  }
}
