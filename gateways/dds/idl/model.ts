/**
 * The type model the IDL parser produces and the XML writer and the sample checker read: OMG IDL 4.2 data types
 * (structs with inheritance, unions, enums, typedefs, constants) with the XTypes 1.3 annotations DDS needs.
 * Names are fully qualified with `::` (`std_msgs::msg::dds_::String_`).
 */
export type Primitive =
  | 'boolean'
  | 'char8'
  | 'char16'
  | 'octet'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'float128';

export type TypeRef =
  | { readonly kind: 'primitive'; readonly name: Primitive }
  | { readonly kind: 'string'; readonly wide: boolean; readonly bound?: number }
  | { readonly kind: 'sequence'; readonly element: TypeRef; readonly bound?: number }
  | { readonly kind: 'named'; readonly name: string };

/** Where a declaration was written, for `file:line` errors. */
export interface Position {
  readonly file: string;
  readonly line: number;
}

export interface Member {
  readonly name: string;
  readonly type: TypeRef;
  /** Array dimensions (`long m[3][4]` → [3, 4]); empty for a scalar member. */
  readonly dims: readonly number[];
  key: boolean;
  readonly optional: boolean;
  readonly at: Position;
}

export type Extensibility = 'final' | 'appendable' | 'mutable';

export interface StructDecl {
  readonly kind: 'struct';
  readonly name: string;
  readonly base?: string;
  readonly members: Member[];
  readonly extensibility?: Extensibility;
  readonly at: Position;
}

export interface UnionCase {
  /** Label values (numbers, or enumerator names for an enum discriminator); `default` is the default branch. */
  readonly labels: readonly (number | string | boolean)[];
  readonly isDefault: boolean;
  readonly member: Member;
}

export interface UnionDecl {
  readonly kind: 'union';
  readonly name: string;
  readonly discriminator: TypeRef;
  readonly cases: readonly UnionCase[];
  readonly extensibility?: Extensibility;
  readonly at: Position;
}

export interface EnumDecl {
  readonly kind: 'enum';
  readonly name: string;
  readonly enumerators: readonly { readonly name: string; readonly value: number }[];
  readonly at: Position;
}

export interface TypedefDecl {
  readonly kind: 'typedef';
  readonly name: string;
  readonly type: TypeRef;
  readonly dims: readonly number[];
  readonly at: Position;
}

export interface ConstDecl {
  readonly kind: 'const';
  readonly name: string;
  readonly type: TypeRef;
  readonly value: number | string | boolean;
  readonly at: Position;
}

export type Decl = StructDecl | UnionDecl | EnumDecl | TypedefDecl | ConstDecl;

/** All declarations of one IDL compilation, in declaration order, by fully qualified name. */
export interface TypeModel {
  readonly decls: Map<string, Decl>;
}

/** Follows typedef chains to the type a name finally stands for (arrays of typedefs accumulate their dims). */
export function resolveAlias(model: TypeModel, type: TypeRef): { type: TypeRef; dims: number[] } {
  let current = type;
  const dims: number[] = [];
  for (let hops = 0; current.kind === 'named' && hops < 64; hops++) {
    const decl = model.decls.get(current.name);
    if (decl?.kind !== 'typedef') break;
    dims.push(...decl.dims);
    current = decl.type;
  }
  return { type: current, dims };
}

/** The members of a struct including those of its base types, base first (XTypes §7.2.2.4.4.4.4). */
export function allMembers(model: TypeModel, struct: StructDecl): Member[] {
  const base = struct.base ? model.decls.get(struct.base) : undefined;
  const inherited = base?.kind === 'struct' ? allMembers(model, base) : [];
  return [...inherited, ...struct.members];
}
