//! No import cycles between the files of any crate (issue 12): the checker, and the check.
//!
//! Every source file of a crate is a node. A file depends on another when it names a module
//! path that resolves there: `use crate::…`, `use super::…`, `use self::…`, `use child::…`
//! (groups expanded), and the same paths written inline in code (`crate::works::choose::f()`).
//! A path resolves to the file of the deepest module it names; when the next segment is a name
//! that file imports (`pub use ids::WorkId;` in `works/mod.rs`), the path is followed to where
//! that import leads, so a re-export is not a dependency of its own. A `pub use` is an edge of
//! the file holding it only if the file uses the name itself. `mod x;` is no edge, and neither is
//! any path from a module's index file (`lib.rs`, `mod.rs`, or `a.rs` for `a/…`) to its own
//! descendants: the index declares, re-exports and dispatches to its children, who may use what
//! it defines — Rust's module tree, not a cycle between rooms. Every other path counts: siblings,
//! cousins, a child back to its parent. Tests (`#[cfg(test)]` modules, inline or in their own
//! files) are left out: a test may use whatever it tests with.
//! A cycle is a strongly connected component of two or more files.
//!
//! The checker reads source text; it knows Rust's comments, strings, raw strings and char
//! literals so that a path in a doc comment or a string is not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates of the workspace, as source directories relative to the root.
const CRATES: &[&str] = &[
    "crates/jzplan-core/src",
    "crates/jzplan-io/src",
    "crates/jzplan-store/src",
    "crates/jzplan-server/src",
    "src",
];

#[test]
fn no_import_cycles_between_files_in_any_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut report = String::new();
    let mut files_seen = 0;
    for dir in CRATES {
        let files = read_crate(&root.join(dir));
        files_seen += files.len();
        let graph = Graph::of_crate(&files);
        for cycle in graph.cycles() {
            report.push_str(&format!("{dir}: {}\n", cycle.join(" ↔ ")));
            for e in graph.edges_within(&cycle) {
                report.push_str(&format!(
                    "    {}:{} → {} ({})\n",
                    e.from, e.line, e.to, e.path
                ));
            }
        }
    }
    assert!(files_seen > 100, "read only {files_seen} files");
    assert!(report.is_empty(), "import cycles between files:\n{report}");
}

#[test]
fn a_two_file_cycle_through_use_and_inline_paths_is_found() {
    let files = crate_of(&[
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
        ("a.rs", "use crate::b::B;\npub struct A;\n"),
        ("b.rs", "pub struct B;\nfn f() { let _ = crate::a::A; }\n"),
        ("c.rs", "use crate::{a::A, b::B};\n"),
    ]);
    let graph = Graph::of_crate(&files);
    assert_eq!(
        graph.cycles(),
        vec![vec!["a.rs".to_string(), "b.rs".to_string()]]
    );
    let lines: Vec<_> = graph.edges_within(&["a.rs".into(), "b.rs".into()]);
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().any(|e| e.from == "b.rs" && e.line == 2));
}

#[test]
fn an_index_naming_its_children_is_no_cycle_but_siblings_through_super_are() {
    let mut files = crate_of(&[
        ("lib.rs", "pub mod w;\n"),
        (
            "w/mod.rs",
            "mod x;\nmod y;\npub struct Work;\nfn f() { x::g(); }\n",
        ),
        ("w/x.rs", "use super::Work;\npub fn g() {}\n"),
        ("w/y.rs", "use super::Work;\npub fn h() {}\n"),
    ]);
    assert!(Graph::of_crate(&files).cycles().is_empty());
    files.insert(
        "w/x.rs".into(),
        "use super::{Work, y::h};\npub fn g() {}\n".into(),
    );
    files.insert(
        "w/y.rs".into(),
        "pub fn h() { super::super::w::x::g() }\n".into(),
    );
    assert_eq!(
        Graph::of_crate(&files).cycles(),
        vec![vec!["w/x.rs".to_string(), "w/y.rs".to_string()]]
    );
}

#[test]
fn re_exports_comments_strings_and_tests_are_not_dependencies() {
    let files = crate_of(&[
        (
            "lib.rs",
            "pub mod ids;\npub mod w;\npub mod h;\npub use ids::Id;\n",
        ),
        ("ids.rs", "pub struct Id;\n"),
        // works re-exports the id and uses the choke points; the choke points take the id
        // through the works' re-export: no cycle, both depend on ids.rs.
        ("w/mod.rs", "pub use crate::ids::Id;\nuse crate::h::H;\n"),
        (
            "h.rs",
            concat!(
                "use crate::w::Id;\n",
                "/// See [`crate::w::Work`].\n",
                "const S: &str = \"crate::w::x\";\n",
                "const R: &str = r#\"use crate::w::y;\"#;\n",
                "const C: char = '\"';\n",
                "fn f<'a>(x: &'a str) -> &'a str { x }\n",
                "pub struct H;\n",
                "#[cfg(test)]\nmod tests {\n    use crate::w::*;\n}\n",
            ),
        ),
    ]);
    let graph = Graph::of_crate(&files);
    assert!(graph.cycles().is_empty(), "{:?}", graph.edges);
    let targets = |f: &str| -> BTreeSet<String> {
        graph
            .edges
            .iter()
            .filter(|e| e.from == f)
            .map(|e| e.to.clone())
            .collect()
    };
    assert_eq!(targets("h.rs"), BTreeSet::from(["ids.rs".to_string()]));
    assert_eq!(targets("w/mod.rs"), BTreeSet::from(["h.rs".to_string()]));
    // The root's `pub use ids::Id` is a re-export it does not use itself: no edge.
    assert!(targets("lib.rs").is_empty());
}

fn crate_of(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect()
}

/// Every `.rs` file under `src`, by path relative to it (with `/`), and its text.
fn read_crate(src: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(src, &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// A dependency of one file on another, with the path that makes it.
#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    line: usize,
    path: String,
}

/// One `use` path of a file: its absolute module path, whether it is `pub`, its line and text.
type UseOf = (Vec<String>, bool, usize, String);

/// One source file, read.
struct File {
    /// Its module path (`["works", "anchor"]`; the crate root is `[]`).
    module: Vec<String>,
    /// The code with comments, string and char literals blanked and test modules removed.
    code: String,
    /// Names it brings into scope with `use` (`WorkId` → `crate::ids::WorkId`), and the
    /// modules of its glob imports.
    imports: BTreeMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
}

struct Graph {
    edges: Vec<Edge>,
    files: Vec<String>,
}

impl Graph {
    fn of_crate(sources: &BTreeMap<String, String>) -> Graph {
        // Module path of each file; a file that only compiles under test is left out.
        let mut by_module: BTreeMap<Vec<String>, String> = BTreeMap::new();
        let mut files: BTreeMap<String, File> = BTreeMap::new();
        let mut test_modules: BTreeSet<Vec<String>> = BTreeSet::new();
        for (rel, text) in sources {
            if rel == "main.rs" && sources.contains_key("lib.rs") {
                continue; // the binary is a crate of its own
            }
            let module = module_of(rel);
            let (code, tests) = code_of(text);
            for t in tests {
                let mut m = module.clone();
                m.push(t);
                test_modules.insert(m);
            }
            by_module.insert(module.clone(), rel.clone());
            files.insert(
                rel.clone(),
                File {
                    module,
                    code,
                    imports: BTreeMap::new(),
                    globs: Vec::new(),
                },
            );
        }
        files.retain(|_, f| !test_modules.iter().any(|t| f.module.starts_with(t)));
        by_module.retain(|m, _| !test_modules.iter().any(|t| m.starts_with(t)));

        // First pass: what each file imports (absolute module paths).
        let mut uses: BTreeMap<String, Vec<UseOf>> = BTreeMap::new();
        for (rel, f) in &files {
            let mut list = Vec::new();
            for (public, line, tree) in use_statements(&f.code) {
                for path in expand_use(&tree) {
                    let Some(abs) = absolute(&f.module, &path, &by_module) else {
                        continue;
                    };
                    let last = path.last().cloned().unwrap_or_default();
                    list.push((abs, public, line, path.join("::")));
                    let _ = last;
                }
            }
            uses.insert(rel.clone(), list);
        }
        for (rel, list) in &uses {
            let f = files.get_mut(rel).unwrap();
            for (abs, _, _, text) in list {
                let alias = alias_of(text);
                if alias == "*" {
                    f.globs.push(abs[..abs.len() - 1].to_vec());
                } else if alias != "self" {
                    f.imports.insert(alias, abs.clone());
                }
            }
        }

        // Second pass: edges from imports that the file uses, and from inline paths.
        let mut edges = Vec::new();
        for (rel, f) in &files {
            let mut add = |abs: &[String], line: usize, path: &str| {
                if let Some(to) = resolve(abs, &files, &by_module, 0)
                    && to != *rel
                    && !files[&to].module.starts_with(&f.module)
                {
                    edges.push(Edge {
                        from: rel.clone(),
                        to,
                        line,
                        path: path.to_string(),
                    });
                }
            };
            for (abs, public, line, text) in &uses[rel] {
                let alias = alias_of(text);
                if *public
                    && !(alias != "*" && alias != "self" && used_besides_use(&f.code, &alias))
                {
                    continue; // a re-export
                }
                add(abs, *line, text);
            }
            for (line, path) in inline_paths(&f.code, &f.module, &by_module) {
                if let Some(abs) = absolute(&f.module, &path, &by_module) {
                    add(&abs, line, &path.join("::"));
                }
            }
        }
        let files = files.into_keys().collect();
        Graph { edges, files }
    }

    /// The strongly connected components of two files or more, each sorted, in file order.
    fn cycles(&self) -> Vec<Vec<String>> {
        let index: BTreeMap<&str, usize> = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.as_str(), i))
            .collect();
        let n = self.files.len();
        let mut adj = vec![Vec::new(); n];
        for e in &self.edges {
            adj[index[e.from.as_str()]].push(index[e.to.as_str()]);
        }
        // Tarjan's algorithm, iterative.
        let (mut idx, mut low) = (vec![usize::MAX; n], vec![0; n]);
        let (mut on_stack, mut stack, mut next) = (vec![false; n], Vec::new(), 0);
        let mut out = Vec::new();
        for start in 0..n {
            if idx[start] != usize::MAX {
                continue;
            }
            let mut call = vec![(start, 0usize)];
            while let Some(&mut (v, ref mut i)) = call.last_mut() {
                if *i == 0 {
                    idx[v] = next;
                    low[v] = next;
                    next += 1;
                    stack.push(v);
                    on_stack[v] = true;
                }
                if *i < adj[v].len() {
                    let w = adj[v][*i];
                    *i += 1;
                    if idx[w] == usize::MAX {
                        call.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(idx[w]);
                    }
                    continue;
                }
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == idx[v] {
                    let mut comp = Vec::new();
                    loop {
                        let w = stack.pop().unwrap();
                        on_stack[w] = false;
                        comp.push(self.files[w].clone());
                        if w == v {
                            break;
                        }
                    }
                    if comp.len() > 1 {
                        comp.sort();
                        out.push(comp);
                    }
                }
            }
        }
        out.sort();
        out
    }

    fn edges_within(&self, files: &[String]) -> Vec<Edge> {
        self.edges
            .iter()
            .filter(|e| files.contains(&e.from) && files.contains(&e.to))
            .cloned()
            .collect()
    }
}

/// `works/anchor.rs` → `["works", "anchor"]`; `works/mod.rs` → `["works"]`; `lib.rs` → `[]`.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The name a use path brings into scope: its last segment or its `as` alias.
fn alias_of(path: &str) -> String {
    if let Some((_, alias)) = path.rsplit_once(" as ") {
        return alias.trim().to_string();
    }
    let mut segments = path.rsplit("::").map(str::trim);
    match segments.next() {
        Some("self") => segments.next().unwrap_or("self").to_string(),
        last => last.unwrap_or(path).to_string(),
    }
}

/// Whether `name` occurs in `code` outside `use` statements.
fn used_besides_use(code: &str, name: &str) -> bool {
    let mut rest = String::with_capacity(code.len());
    let mut last = 0;
    for (start, end) in use_spans(code) {
        rest.push_str(&code[last..start]);
        last = end;
    }
    rest.push_str(&code[last..]);
    words(&rest).any(|(_, w)| w == name)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The words of `code` with their byte offsets.
fn words(code: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in code.char_indices() {
        match (is_ident(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &code[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &code[s..]));
    }
    out.into_iter()
}

/// Byte ranges of `use …;` statements (the keyword through the semicolon).
fn use_spans(code: &str) -> Vec<(usize, usize)> {
    words(code)
        .filter(|(_, w)| *w == "use")
        .filter_map(|(i, _)| code[i..].find(';').map(|j| (i, i + j + 1)))
        .collect()
}

/// `(public, line, tree)` of each `use` statement; `tree` is the text after `use`.
fn use_statements(code: &str) -> Vec<(bool, usize, String)> {
    use_spans(code)
        .into_iter()
        .map(|(start, end)| {
            let before = code[..start].trim_end();
            let public = before.ends_with("pub")
                || before.ends_with(')') && {
                    // `pub(crate) use`, `pub(super) use`
                    before
                        .rfind("pub(")
                        .is_some_and(|p| !before[p..].contains(['\n', ';', '}']))
                };
            let line = code[..start].matches('\n').count() + 1;
            (public, line, code[start + 3..end - 1].trim().to_string())
        })
        .collect()
}

/// The paths of a use tree, groups expanded: `crate::{a::B, c::{self, D as E}}` →
/// `crate::a::B`, `crate::c::self`, `crate::c::D as E`, as lists of segments (the alias, if
/// any, kept on the last segment).
fn expand_use(tree: &str) -> Vec<Vec<String>> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let tree = tree.trim().trim_start_matches("::");
    let Some(open) = tree.find('{') else {
        return vec![tree.split("::").map(|s| s.trim().to_string()).collect()];
    };
    let prefix: Vec<String> = tree[..open]
        .trim_end_matches("::")
        .split("::")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let close = tree.rfind('}').unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let (mut depth, mut last, mut out) = (0, 0, Vec::new());
    let push = |part: &str, out: &mut Vec<Vec<String>>| {
        if !part.trim().is_empty() {
            for sub in expand_use(part) {
                out.push(prefix.iter().cloned().chain(sub).collect());
            }
        }
    };
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                push(&inner[last..i], &mut out);
                last = i + 1;
            }
            _ => {}
        }
    }
    push(&inner[last..], &mut out);
    out
}

/// Paths written in code that start with `crate`, `super`, `self` or a child module of the file,
/// with their line: `crate::works::choose::f` → `["crate", "works", "choose", "f"]`.
fn inline_paths(
    code: &str,
    module: &[String],
    by_module: &BTreeMap<Vec<String>, String>,
) -> Vec<(usize, Vec<String>)> {
    let mut blanked = code.to_string();
    for (start, end) in use_spans(code) {
        let spaces: String = code[start..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        blanked.replace_range(start..end, &spaces);
    }
    let bytes = blanked.as_bytes();
    let mut out = Vec::new();
    let all: Vec<(usize, &str)> = words(&blanked).collect();
    let mut k = 0;
    while k < all.len() {
        let (i, w) = all[k];
        let preceded_by_path = i >= 2 && &blanked[i - 2..i] == "::";
        let is_child = by_module.contains_key(&[module, &[w.to_string()]].concat());
        if preceded_by_path || !(matches!(w, "crate" | "super" | "self") || is_child) {
            k += 1;
            continue;
        }
        if i >= 1 && (bytes[i - 1] == b'.' || bytes[i - 1] == b'$' && w != "crate") {
            k += 1; // a field or method, or a macro variable
            continue;
        }
        let mut path = vec![w.to_string()];
        let mut end = i + w.len();
        k += 1;
        while k < all.len() && &blanked[end..all[k].0] == "::" {
            path.push(all[k].1.to_string());
            end = all[k].0 + all[k].1.len();
            k += 1;
        }
        if path.len() > 1 {
            out.push((blanked[..i].matches('\n').count() + 1, path));
        }
    }
    out
}

/// The absolute module path (`crate` left out) of a path written in module `module`, or `None`
/// for a path into another crate.
fn absolute(
    module: &[String],
    path: &[String],
    by_module: &BTreeMap<Vec<String>, String>,
) -> Option<Vec<String>> {
    let mut path: Vec<String> = path.to_vec();
    if let Some(last) = path.last_mut()
        && let Some((name, _)) = last.split_once(" as ")
    {
        *last = name.trim().to_string();
    }
    let first = path.first()?.as_str();
    let mut base: Vec<String>;
    let rest: &[String];
    match first {
        "crate" | "$crate" => {
            base = Vec::new();
            rest = &path[1..];
        }
        "self" | "super" => {
            base = module.to_vec();
            let mut n = 0;
            if first == "self" {
                n = 1;
            }
            while path.get(n).is_some_and(|s| s == "super") {
                base.pop()?;
                n += 1;
            }
            rest = &path[n..];
        }
        child if by_module.contains_key(&[module, &[child.to_string()]].concat()) => {
            base = module.to_vec();
            rest = &path[..];
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    if base.last().is_some_and(|s| s == "self") {
        base.pop(); // `use crate::works::{self, …}`
    }
    Some(base)
}

/// The file an absolute path lands in: the deepest module it names, or, when the next segment
/// is a name that module imports, wherever that import leads.
fn resolve(
    abs: &[String],
    files: &BTreeMap<String, File>,
    by_module: &BTreeMap<Vec<String>, String>,
    depth: usize,
) -> Option<String> {
    let mut n = 0;
    while n < abs.len() && by_module.contains_key(&abs[..=n]) {
        n += 1;
    }
    let rel = by_module.get(&abs[..n])?;
    let (Some(next), true) = (abs.get(n), depth < 16) else {
        return Some(rel.clone());
    };
    let file = &files[rel];
    if let Some(target) = file.imports.get(next) {
        let mut further = target.clone();
        further.extend(abs[n + 1..].iter().cloned());
        return resolve(&further, files, by_module, depth + 1).or(Some(rel.clone()));
    }
    if !defines(&file.code, next) {
        for glob in &file.globs {
            let mut further = glob.clone();
            further.extend(abs[n..].iter().cloned());
            if let Some(to) = resolve(&further, files, by_module, depth + 1)
                && (defines(&files[&to].code, next) || files[&to].imports.contains_key(next))
            {
                return Some(to);
            }
        }
    }
    Some(rel.clone())
}

/// Whether `code` defines an item named `name` (at any depth; good enough to follow globs).
fn defines(code: &str, name: &str) -> bool {
    let ws: Vec<&str> = words(code).map(|(_, w)| w).collect();
    ws.windows(2).any(|p| {
        p[1] == name
            && matches!(
                p[0],
                "fn" | "struct" | "enum" | "trait" | "type" | "const" | "static" | "mod" | "union"
            )
    }) || code.contains(&format!("macro_rules! {name}"))
}

/// The code of a file with comments, string and char literals blanked (lines kept), and
/// `#[cfg(test)] mod x { … }` blocks removed; also the names of `#[cfg(test)] mod x;` files.
fn code_of(text: &str) -> (String, Vec<String>) {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, s: &[char]| {
        for &ch in s {
            out.push(if ch == '\n' { '\n' } else { ' ' });
        }
    };
    let mut i = 0;
    while i < c.len() {
        let prev_ident = i > 0 && is_ident(c[i - 1]);
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            let end = (i..c.len()).find(|&j| c[j] == '\n').unwrap_or(c.len());
            blank(&mut out, &c[i..end]);
            i = end;
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let (mut depth, mut j) = (0, i);
            while j < c.len() {
                if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &c[i..j.min(c.len())]);
            i = j;
        } else if !prev_ident && (c[i] == 'r' || c[i] == 'b' && c.get(i + 1) == Some(&'r')) && {
            let k = if c[i] == 'b' { i + 2 } else { i + 1 };
            let hashes = c[k..].iter().take_while(|&&h| h == '#').count();
            c.get(k + hashes) == Some(&'"')
        } {
            let k = if c[i] == 'b' { i + 2 } else { i + 1 };
            let hashes = c[k..].iter().take_while(|&&h| h == '#').count();
            let mut j = k + hashes + 1;
            while j < c.len() && !(c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')))
            {
                j += 1;
            }
            let end = (j + 1 + hashes).min(c.len());
            out.extend(&c[i..k]);
            blank(&mut out, &c[k..end]);
            i = end;
        } else if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(c.len());
            blank(&mut out, &c[i..end]);
            i = end;
        } else if c[i] == '\'' {
            // A char literal ('x', '\n', '\u{1F600}', '"') or a lifetime ('a).
            let end = if c.get(i + 1) == Some(&'\\') {
                (i + 2..c.len()).find(|&j| c[j] == '\'').map(|j| j + 1)
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    blank(&mut out, &c[i..end]);
                    i = end;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    // Test modules.
    let mut tests = Vec::new();
    let mut search = 0;
    while let Some(p) = out[search..].find("#[cfg(test)]") {
        let at = search + p;
        let after = &out[at + "#[cfg(test)]".len()..];
        let ws: Vec<(usize, &str)> = words(after).take(3).collect();
        let item = ws.iter().position(|(_, w)| *w == "mod");
        match item.and_then(|k| ws.get(k + 1)) {
            Some(&(off, name)) => {
                let tail = after[off + name.len()..].trim_start();
                let base = at + "#[cfg(test)]".len() + off + name.len();
                if tail.starts_with(';') {
                    tests.push(name.to_string());
                    search = base;
                } else if tail.starts_with('{') {
                    let open = base + out[base..].find('{').unwrap();
                    let mut depth = 0;
                    let mut close = out.len();
                    for (j, ch) in out[open..].char_indices() {
                        match ch {
                            '{' => depth += 1,
                            '}' => {
                                depth -= 1;
                                if depth == 0 {
                                    close = open + j + 1;
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    let spaces: String = out[at..close]
                        .chars()
                        .map(|ch| if ch == '\n' { '\n' } else { ' ' })
                        .collect();
                    out.replace_range(at..close, &spaces);
                    search = at + spaces.len();
                } else {
                    search = base;
                }
            }
            None => search = at + 1,
        }
    }
    (out, tests)
}
