import type * as protoLoader from '@grpc/proto-loader';

/** Wire types of the protobuf encoding. Groups (3, 4) are not part of proto3 and are refused. */
export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

export type WellKnown = 'duration' | 'timestamp';

/** What the scanner knows of one field: enough to count, range-check and descend, nothing it would allocate for. */
export interface FieldPlan {
  name: string;
  /** Its position among its message's fields: where the scanner counts its occurrences. */
  index: number;
  wireType: number;
  repeated: boolean;
  /** A repeated scalar or enum, which may also arrive packed (one LEN of values). */
  packable: boolean;
  /** The most occurrences (entries, for a repeated or map field) one message may hold. */
  limit: number;
  message?: MessagePlan;
  enumValues?: ReadonlySet<number>;
}

export interface MessagePlan {
  name: string;
  fields: Map<number, FieldPlan>;
  wellKnown?: WellKnown;
}

/**
 * A singular field may legally appear more than once on the wire (the last wins), but no real encoder repeats
 * one much; a cap keeps a message of one field repeated a million times from costing a million decodes.
 */
export const SINGULAR_REPEATS_MAX = 8;

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: (MessageDescriptor & { options?: { mapEntry?: boolean } | null })[];
}

const WIRE_TYPE_OF: Record<string, number> = {
  TYPE_DOUBLE: WIRE.I64,
  TYPE_FIXED64: WIRE.I64,
  TYPE_SFIXED64: WIRE.I64,
  TYPE_FLOAT: WIRE.I32,
  TYPE_FIXED32: WIRE.I32,
  TYPE_SFIXED32: WIRE.I32,
  TYPE_STRING: WIRE.LEN,
  TYPE_BYTES: WIRE.LEN,
  TYPE_MESSAGE: WIRE.LEN,
};

const WELL_KNOWN: Record<string, WellKnown> = {
  'google.protobuf.Duration': 'duration',
  'google.protobuf.Timestamp': 'timestamp',
};

/**
 * Builds scan plans from the same .proto descriptors reflection serves, so every field of every request is known
 * to the scanner without a hand-kept copy. `limits` gives the most entries of each repeated or map field, keyed
 * "Message.field"; a repeated enum defaults to the number of its values. A repeated field with no limit is an
 * error here, at start-up, so a new one cannot slip into the contract unbounded.
 */
export class WirePlans {
  private readonly plans = new Map<string, MessagePlan>();

  constructor(
    private readonly definition: protoLoader.PackageDefinition,
    private readonly limits: Readonly<Record<string, number>>,
  ) {}

  private lookup(typeName: string, scope: string): { fullName: string; type: unknown } {
    const name = typeName.replace(/^\./, '');
    const pkg = scope.slice(0, scope.lastIndexOf('.'));
    for (const candidate of [name, `${pkg}.${name}`]) {
      const entry = this.definition[candidate] as { type?: unknown } | undefined;
      if (entry?.type !== undefined) return { fullName: candidate, type: entry.type };
    }
    throw new Error(`${scope}: unknown type ${typeName}`);
  }

  /** The plan of a message type by its full name, e.g. "baton.v1.SubmitTaskRequest". */
  forType(fullName: string): MessagePlan {
    return this.build(fullName, this.lookup(fullName, fullName).type as MessageDescriptor);
  }

  private build(fullName: string, descriptor: MessageDescriptor): MessagePlan {
    const known = this.plans.get(fullName);
    if (known) return known;
    const plan: MessagePlan = { name: descriptor.name, fields: new Map() };
    const wellKnown = WELL_KNOWN[fullName];
    if (wellKnown) plan.wellKnown = wellKnown;
    this.plans.set(fullName, plan);
    descriptor.field.forEach((field, index) => plan.fields.set(field.number, this.fieldPlan(fullName, descriptor, field, index)));
    return plan;
  }

  private fieldPlan(owner: string, descriptor: MessageDescriptor, field: FieldDescriptor, index: number): FieldPlan {
    const repeated = field.label === 'LABEL_REPEATED';
    const key = `${descriptor.name}.${field.name}`;
    const plan: FieldPlan = {
      name: field.name,
      index,
      wireType: WIRE_TYPE_OF[field.type] ?? WIRE.VARINT,
      repeated,
      packable: repeated && !['TYPE_STRING', 'TYPE_BYTES', 'TYPE_MESSAGE'].includes(field.type),
      limit: repeated ? (this.limits[key] ?? -1) : SINGULAR_REPEATS_MAX,
    };
    if (field.type === 'TYPE_MESSAGE') {
      const nested = descriptor.nestedType.find((n) => n.name === field.typeName || field.typeName.endsWith(`.${n.name}`));
      plan.message = nested
        ? this.build(`${owner}.${nested.name}`, nested)
        : (() => {
            const { fullName, type } = this.lookup(field.typeName, owner);
            return this.build(fullName, type as MessageDescriptor);
          })();
    } else if (field.type === 'TYPE_ENUM') {
      const { type } = this.lookup(field.typeName, owner);
      const values = (type as { value: { number: number }[] }).value.map((v) => v.number);
      plan.enumValues = new Set(values);
      if (repeated && plan.limit < 0) plan.limit = values.length;
    }
    if (plan.limit < 0) throw new Error(`${key} is repeated but has no entry limit`);
    return plan;
  }
}
