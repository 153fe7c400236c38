/**
 * npm run docs:components: writes docs/components.md, the reference of every component, from
 * the TSDoc of the code itself. Every exported class under components/ that extends
 * `pulumi.ComponentResource` is found by the TypeScript compiler (no list to keep), with its
 * type token (the first argument of its `super` call), its description, its args (type,
 * `@default`, description) and its public outputs and methods. The interfaces and type
 * aliases of components/ that args refer to follow, so that nested settings are documented
 * too. `--check` exits 1 when the file is out of date.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..");
export const COMPONENTS = path.join(ROOT, "components");
export const DOC = path.join(ROOT, "docs", "components.md");

/** One documented field: an arg, a member of a type, an output. */
export interface FieldDoc {
    /** Dotted path for members of inline object types (`storage.objectStore.size`). */
    readonly name: string;
    readonly type: string;
    readonly optional: boolean;
    /** The `@default` tag's text, if any. */
    readonly default?: string;
    readonly description: string;
}

/** One ComponentResource class. */
export interface ComponentDoc {
    readonly className: string;
    readonly token: string;
    /** Path of the source file, relative to the project. */
    readonly file: string;
    readonly description: string;
    /** The args interface's name, when the args are a named type. */
    readonly argsType?: string;
    readonly args: FieldDoc[];
    readonly outputs: FieldDoc[];
    readonly methods: FieldDoc[];
}

/** An interface or type alias of components/ that some args refer to. */
export interface TypeDoc {
    readonly name: string;
    readonly file: string;
    readonly description: string;
    /** Members of an interface; empty for an alias. */
    readonly fields: FieldDoc[];
    /** The aliased type, for a type alias. */
    readonly alias?: string;
}

/** What the generator found under a components folder. */
export interface ComponentReference {
    readonly components: ComponentDoc[];
    readonly types: TypeDoc[];
    /** Optional args without a `@default`, and similar gaps, one line each. */
    readonly problems: string[];
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

function sourceFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) return sourceFiles(p);
            return e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
        })
        .sort();
}

/** A type as one line of TypeScript, comments dropped. */
function typeText(node: ts.TypeNode, sf: ts.SourceFile): string {
    const qualified = cloudImports(sf);
    const shown = qualified.size === 0 ? node : qualify(node, qualified);
    return printer.printNode(ts.EmitHint.Unspecified, shown, sf).replace(/\s+/g, " ").trim();
}

/** `node` with each type reference to a name in `names` replaced by its qualified name. */
function qualify(node: ts.TypeNode, names: Map<string, string>): ts.TypeNode {
    const [out] = ts.transform(node, [
        (ctx) => (root) => {
            const visit = (n: ts.Node): ts.Node => {
                if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName)) {
                    const q = names.get(n.typeName.text);
                    if (q) {
                        const [ns, name] = q.split(".");
                        return ctx.factory.updateTypeReferenceNode(
                            n,
                            ctx.factory.createQualifiedName(ctx.factory.createIdentifier(ns), name),
                            n.typeArguments &&
                                ctx.factory.createNodeArray(
                                    n.typeArguments.map((a) => visit(a) as ts.TypeNode),
                                ),
                        );
                    }
                }
                return ts.visitEachChild(n, visit, ctx);
            };
            return visit(root) as ts.TypeNode;
        },
    ]).transformed;
    return out;
}

const cloudImportsOf = new WeakMap<ts.SourceFile, Map<string, string>>();

/**
 * Names a source file imports from one resource module of a cloud SDK, with the SDK namespace
 * they are known by: `import { Cluster } from "@pulumi/aws/eks/cluster"` is `eks.Cluster`.
 * (The components import each resource's own module, which type-checks a fifth faster than
 * the namespace's index of every resource.)
 */
function cloudImports(sf: ts.SourceFile): Map<string, string> {
    let names = cloudImportsOf.get(sf);
    if (names) return names;
    names = new Map();
    for (const stmt of sf.statements) {
        if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue;
        const ns = /^@pulumi\/(?:aws|gcp)\/(\w+)\/\w+$/.exec(stmt.moduleSpecifier.text)?.[1];
        const bindings = stmt.importClause?.namedBindings;
        if (!ns || !bindings || !ts.isNamedImports(bindings)) continue;
        for (const el of bindings.elements) {
            names.set(el.name.text, `${ns}.${(el.propertyName ?? el.name).text}`);
        }
    }
    cloudImportsOf.set(sf, names);
    return names;
}

function docOf(symbol: ts.Symbol, checker: ts.TypeChecker): { text: string; default?: string } {
    const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
    const tag = symbol.getJsDocTags(checker).find((t) => t.name === "default");
    const dflt = tag ? ts.displayPartsToString(tag.text).trim() : undefined;
    return { text, default: dflt === undefined ? undefined : dflt || "(empty)" };
}

/** The object type literal inside `T`, `T[]`, `readonly T[]`, `(T)`, if `T` is one. */
function literalOf(
    node: ts.TypeNode | undefined,
): { literal: ts.TypeLiteralNode; array: boolean } | undefined {
    let array = false;
    let n = node;
    for (;;) {
        if (!n) return undefined;
        if (ts.isTypeLiteralNode(n)) return { literal: n, array };
        if (ts.isParenthesizedTypeNode(n)) n = n.type;
        else if (ts.isTypeOperatorNode(n) && n.operator === ts.SyntaxKind.ReadonlyKeyword)
            n = n.type;
        else if (ts.isArrayTypeNode(n)) {
            array = true;
            n = n.elementType;
        } else return undefined;
    }
}

function isComponentResource(type: ts.Type, checker: ts.TypeChecker): boolean {
    for (const base of checker.getBaseTypes(type as ts.InterfaceType) ?? []) {
        const decl = base.getSymbol()?.declarations?.[0];
        if (
            base.getSymbol()?.getName() === "ComponentResource" &&
            decl
                ?.getSourceFile()
                .fileName.includes(`${path.sep}@pulumi${path.sep}pulumi${path.sep}`)
        ) {
            return true;
        }
        if (isComponentResource(base, checker)) return true;
    }
    return false;
}

function isExported(node: ts.Declaration): boolean {
    return (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Export) !== 0;
}

function isPublic(node: ts.ClassElement): boolean {
    const flags = ts.getCombinedModifierFlags(node as ts.Declaration);
    if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static))
        return false;
    return !(node.name && ts.isPrivateIdentifier(node.name));
}

/** The token of `super("mlops:…", …)` in the constructor. */
function tokenOf(ctor: ts.ConstructorDeclaration | undefined): string | undefined {
    let token: string | undefined;
    const visit = (n: ts.Node) => {
        if (token) return;
        if (
            ts.isCallExpression(n) &&
            n.expression.kind === ts.SyntaxKind.SuperKeyword &&
            n.arguments.length > 0 &&
            ts.isStringLiteralLike(n.arguments[0])
        ) {
            token = n.arguments[0].text;
            return;
        }
        ts.forEachChild(n, visit);
    };
    if (ctor?.body) visit(ctor.body);
    return token;
}

/** Reads every component under `componentsDir` (default: this project's components/). */
export function componentReference(componentsDir: string = COMPONENTS): ComponentReference {
    const files = sourceFiles(componentsDir);
    const options: ts.CompilerOptions = {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.Node16,
        moduleResolution: ts.ModuleResolutionKind.Node16,
        lib: ["lib.es2022.d.ts"],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        types: [],
    };
    // Only @pulumi/pulumi (where ComponentResource is) is read from node_modules; the cloud
    // SDKs' declarations (tens of MB) are stood in for by empty modules. Types are printed
    // from the source's own type nodes, so nothing in the reference depends on them.
    const host = ts.createCompilerHost(options);
    const read = host.getSourceFile.bind(host);
    const pulumiSdk = `${path.sep}node_modules${path.sep}@pulumi${path.sep}pulumi${path.sep}`;
    host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
        const f = path.resolve(fileName);
        const stub =
            f.includes(`${path.sep}node_modules${path.sep}`) &&
            !f.includes(pulumiSdk) &&
            !f.includes(`${path.sep}node_modules${path.sep}typescript${path.sep}lib${path.sep}`);
        return stub
            ? ts.createSourceFile(fileName, "export {};", languageVersion)
            : read(fileName, languageVersion, onError, shouldCreate);
    };
    const program = ts.createProgram(files, options, host);
    const checker = program.getTypeChecker();
    const inComponents = (f: string) => path.resolve(f).startsWith(componentsDir + path.sep);
    const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join("/");
    const problems: string[] = [];
    const components: ComponentDoc[] = [];
    const referenced = new Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>();
    const componentNames = new Set<string>();

    /** Records the components/ interfaces and aliases a type node refers to. */
    const collectRefs = (node: ts.Node) => {
        if (ts.isTypeReferenceNode(node)) {
            let symbol = checker.getSymbolAtLocation(node.typeName);
            if (symbol && symbol.flags & ts.SymbolFlags.Alias)
                symbol = checker.getAliasedSymbol(symbol);
            const decl = symbol?.declarations?.[0];
            if (
                decl &&
                (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)) &&
                inComponents(decl.getSourceFile().fileName) &&
                !referenced.has(decl.name.text)
            ) {
                referenced.set(decl.name.text, decl);
                ts.forEachChild(decl, collectRefs);
            }
        }
        ts.forEachChild(node, collectRefs);
    };

    /** Rows for the properties of a type, members of inline object types as dotted paths. */
    const fieldsOf = (type: ts.Type, prefix: string, owner: string): FieldDoc[] =>
        checker.getPropertiesOfType(type).flatMap((symbol) => {
            const decl = symbol.declarations?.[0];
            const typeNode =
                decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl))
                    ? decl.type
                    : undefined;
            const sf = decl?.getSourceFile();
            const optional = (symbol.flags & ts.SymbolFlags.Optional) !== 0;
            const doc = docOf(symbol, checker);
            const name = `${prefix}${symbol.getName()}`;
            if (typeNode) collectRefs(typeNode);
            const inner = literalOf(typeNode);
            const type = inner
                ? inner.array
                    ? "object[]"
                    : "object"
                : typeNode && sf
                  ? typeText(typeNode, sf)
                  : checker.typeToString(checker.getTypeOfSymbol(symbol));
            if (optional && doc.default === undefined) {
                problems.push(`${owner}: optional ${name} has no @default`);
            }
            const row: FieldDoc = {
                name,
                type,
                optional,
                default: doc.default,
                description: doc.text,
            };
            if (!inner) return [row];
            const innerType = checker.getTypeAtLocation(inner.literal);
            return [row, ...fieldsOf(innerType, `${name}${inner.array ? "[]" : ""}.`, owner)];
        });

    for (const sf of program.getSourceFiles()) {
        if (!inComponents(sf.fileName)) continue;
        for (const stmt of sf.statements) {
            if (!ts.isClassDeclaration(stmt) || !stmt.name || !isExported(stmt)) continue;
            const classSymbol = checker.getSymbolAtLocation(stmt.name)!;
            const classType = checker.getDeclaredTypeOfSymbol(classSymbol);
            if (!isComponentResource(classType, checker)) continue;
            const className = stmt.name.text;
            componentNames.add(className);
            const ctor = stmt.members.find(ts.isConstructorDeclaration);
            const token = tokenOf(ctor);
            if (!token)
                problems.push(`${className}: no super("<type token>", …) in its constructor`);
            const argsParam = ctor?.parameters[1];
            let args: FieldDoc[] = [];
            let argsType: string | undefined;
            if (argsParam?.type) {
                if (ts.isTypeReferenceNode(argsParam.type))
                    argsType = argsParam.type.typeName.getText(sf);
                args = fieldsOf(checker.getTypeFromTypeNode(argsParam.type), "", className);
            }
            const outputs: FieldDoc[] = [];
            const methods: FieldDoc[] = [];
            for (const m of stmt.members) {
                if (!isPublic(m) || !m.name) continue;
                const symbol = checker.getSymbolAtLocation(m.name);
                if (!symbol) continue;
                const doc = docOf(symbol, checker);
                if (ts.isPropertyDeclaration(m)) {
                    outputs.push({
                        name: symbol.getName(),
                        type: m.type
                            ? typeText(m.type, sf)
                            : checker.typeToString(checker.getTypeOfSymbol(symbol)),
                        optional: m.questionToken !== undefined,
                        description: doc.text,
                    });
                } else if (ts.isMethodDeclaration(m)) {
                    const signature = checker.getSignatureFromDeclaration(m)!;
                    methods.push({
                        name: symbol.getName(),
                        type: checker.signatureToString(signature),
                        optional: false,
                        description: doc.text,
                    });
                }
            }
            components.push({
                className,
                token: token ?? "",
                file: rel(sf.fileName),
                description: docOf(classSymbol, checker).text,
                argsType,
                args,
                outputs,
                methods,
            });
        }
    }
    components.sort(
        (a, b) => a.token.localeCompare(b.token) || a.className.localeCompare(b.className),
    );

    // Args interfaces are documented with their component; the rest of what args refer to here.
    const argsTypes = new Set(components.flatMap((c) => (c.argsType ? [c.argsType] : [])));
    const types: TypeDoc[] = [];
    const seen = new Set<string>();
    // Referencing a type's members may reference more: iterate until no new one appears.
    for (let added = true; added;) {
        added = false;
        for (const [name, decl] of [...referenced]) {
            if (seen.has(name) || argsTypes.has(name)) continue;
            seen.add(name);
            added = true;
            const sf = decl.getSourceFile();
            const symbol = checker.getSymbolAtLocation(decl.name)!;
            const description = docOf(symbol, checker).text;
            if (ts.isInterfaceDeclaration(decl)) {
                const fields = fieldsOf(checker.getDeclaredTypeOfSymbol(symbol), "", name);
                for (const member of decl.members) {
                    if (!ts.isMethodSignature(member)) continue;
                    const s = checker.getSymbolAtLocation(member.name)!;
                    fields.push({
                        name: s.getName(),
                        type: checker.signatureToString(
                            checker.getSignatureFromDeclaration(member)!,
                        ),
                        optional: false,
                        description: docOf(s, checker).text,
                    });
                }
                types.push({ name, file: rel(sf.fileName), description, fields });
            } else {
                types.push({
                    name,
                    file: rel(sf.fileName),
                    description,
                    fields: [],
                    alias: typeText(decl.type, sf),
                });
            }
        }
    }
    types.sort((a, b) => a.name.localeCompare(b.name));
    // Component classes are linked, not listed as types.
    return {
        components,
        types: types.filter((t) => !componentNames.has(t.name)),
        problems: [...new Set(problems)].sort(),
    };
}

/** The anchor GitHub gives a heading. */
export function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

const cell = (s: string) =>
    s
        .replace(/\r?\n+/g, " ")
        .replace(/\|/g, "\\|")
        .trim();
const code = (s: string) => (s.includes("`") ? `\`\` ${cell(s)} \`\`` : `\`${cell(s)}\``);

/** Links to the documented types and components a type mentions, for its description. */
type Linker = (type: string) => string;

function linkerOf(ref: ComponentReference): Linker {
    const names = [...ref.components.map((c) => c.className), ...ref.types.map((t) => t.name)];
    return (type) => {
        const found = names.filter((n) => new RegExp(`\\b${n}\\b`).test(type));
        return found.length
            ? ` See ${found.map((n) => `[${n}](#${anchorOf(n)})`).join(", ")}.`
            : "";
    };
}

function fieldTable(fields: readonly FieldDoc[], withDefault: boolean, link: Linker): string[] {
    const head = withDefault
        ? ["| name | type | default | description |", "|---|---|---|---|"]
        : ["| name | type | description |", "|---|---|---|"];
    return [
        ...head,
        ...fields.map((f) => {
            const dflt = f.optional
                ? f.default !== undefined
                    ? cell(f.default)
                    : "—"
                : "required";
            return withDefault
                ? `| ${code(f.name)} | ${code(f.type)} | ${dflt} | ${cell(f.description + link(f.type))} |`
                : `| ${code(f.name)}${f.optional ? " (optional)" : ""} | ${code(f.type)} | ${cell(f.description + link(f.type))} |`;
        }),
    ];
}

/** The Markdown of the component reference. */
export function componentDoc(ref: ComponentReference = componentReference()): string {
    const link = linkerOf(ref);
    const out = [
        "# Component reference",
        "",
        "Generated from the TSDoc of `components/` by `npm run docs:components`; do not edit by hand.",
        "Every exported `ComponentResource` is listed with its type token, its arguments (with",
        "their defaults) and its outputs. Nested settings are under [Types](#types).",
        "",
        "| component | type token | source |",
        "|---|---|---|",
        ...ref.components.map(
            (c) =>
                `| [${c.className}](#${anchorOf(c.className)}) | \`${c.token}\` | [${c.file}](../${c.file}) |`,
        ),
        "",
    ];
    for (const c of ref.components) {
        out.push(
            `## ${c.className}`,
            "",
            `Type token \`${c.token}\`, in [${c.file}](../${c.file}).`,
            "",
        );
        if (c.description) out.push(c.description, "");
        out.push(`### ${c.className} arguments${c.argsType ? ` (\`${c.argsType}\`)` : ""}`, "");
        out.push(...(c.args.length ? fieldTable(c.args, true, link) : ["None."]), "");
        out.push(`### ${c.className} outputs`, "");
        out.push(...(c.outputs.length ? fieldTable(c.outputs, false, link) : ["None."]), "");
        if (c.methods.length) {
            out.push(`### ${c.className} methods`, "", ...fieldTable(c.methods, false, link), "");
        }
    }
    out.push("## Types", "");
    out.push("Interfaces and type aliases that the arguments above refer to.", "");
    for (const t of ref.types) {
        out.push(`### ${t.name}`, "", `In [${t.file}](../${t.file}).`, "");
        if (t.description) out.push(t.description, "");
        if (t.alias !== undefined) out.push("```ts", `type ${t.name} = ${t.alias};`, "```", "");
        else out.push(...fieldTable(t.fields, true, link), "");
    }
    return out.join("\n");
}

if (require.main === module) {
    const ref = componentReference();
    for (const p of ref.problems) process.stderr.write(`warning: ${p}\n`);
    const want = componentDoc(ref);
    if (process.argv.includes("--check")) {
        const have = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : "";
        if (have !== want) {
            process.stderr.write(
                `${path.relative(process.cwd(), DOC)} is out of date: run npm run docs:components\n`,
            );
            process.exit(1);
        }
    } else {
        fs.mkdirSync(path.dirname(DOC), { recursive: true });
        fs.writeFileSync(DOC, want);
    }
}
