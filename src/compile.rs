//! Compiling a policy document into its indexed, immutable form.
//!
//! Validation and compilation are one pass: every entry is canonicalised once, every error is
//! collected, and only a document without errors becomes a [`CompiledPolicy`].
//!
//! The entry index answers "which lists hold this address, and through which entry" with a fixed
//! number of hash look-ups per address — one for the address, one for its domain and one per
//! proper suffix of the domain for `*.` entries — whatever the number of entries. Entries live in
//! one text arena; the hash table holds 32-bit entry ids, so a million entries fit in tens of
//! megabytes.

use std::collections::{BTreeMap, HashMap};

use hashbrown::HashTable;

use crate::canonical::{canonical_address, canonical_domain, AddressError};
use crate::diagnostic::{pointer, Diagnostic, ErrorCode, ValidationError};
use crate::policy::{
    MessageKind, OrgUnit, PolicyDocument, TlsVersion, MAX_ADDRESS_LISTS, MAX_ENTRIES_PER_LIST,
    MAX_SETTINGS, POLICY_VERSION,
};

/// Index of an address list in the document.
pub(crate) type ListId = u16;
/// Index of an entry in the compiled index.
pub(crate) type EntryId = u32;
/// Index of an OU in the compiled policy.
pub(crate) type OuId = u32;

/// What an address-list entry covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// `local@domain`: one address.
    Address,
    /// `domain` or `@domain`: that domain only.
    Domain,
    /// `*.domain`: any subdomain of it, not the domain itself. The canonical text is the domain.
    Wildcard,
}

/// One address-list entry as written and as canonicalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEntry<'a> {
    /// The token as written in the policy.
    pub written: &'a str,
    /// What it covers.
    pub kind: EntryKind,
    /// Canonical address, domain, or (for `*.`) the domain whose subdomains it covers.
    pub canonical: String,
    /// Written in the `@domain` form.
    pub at_form: bool,
}

/// Splits one `entries` string into its tokens (separated by whitespace and/or commas).
pub fn entry_tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
}

/// A lower bound of the number of tokens in an `entries` string, counted on bytes: it splits
/// on commas and ASCII whitespace, not on other whitespace.
fn count_tokens(s: &str) -> usize {
    let mut count = 0;
    let mut in_token = false;
    for b in s.bytes() {
        let separator = b == b',' || b.is_ascii_whitespace();
        if !separator && !in_token {
            count += 1;
        }
        in_token = !separator;
    }
    count
}

/// Parses and canonicalises one entry token.
///
/// # Errors
/// A message saying why it is not `local@domain`, `domain`, `@domain` or `*.domain`.
pub fn parse_entry(token: &str) -> Result<ParsedEntry<'_>, String> {
    let describe = |e: AddressError| format!("entry `{}` {e}", token.escape_debug());
    if let Some(domain) = token.strip_prefix('@') {
        if domain.contains('@') || domain.contains('*') {
            return Err(format!(
                "entry `{token}` is not an address, a domain or `*.domain`"
            ));
        }
        let canonical = canonical_domain(domain).map_err(describe)?;
        return Ok(ParsedEntry {
            written: token,
            kind: EntryKind::Domain,
            canonical,
            at_form: true,
        });
    }
    if let Some(domain) = token.strip_prefix("*.") {
        if domain.contains('*') || domain.contains('@') {
            return Err(format!(
                "entry `{token}` has a `*` that is not its leading `*.`"
            ));
        }
        let canonical = canonical_domain(domain).map_err(describe)?;
        return Ok(ParsedEntry {
            written: token,
            kind: EntryKind::Wildcard,
            canonical,
            at_form: false,
        });
    }
    if token.contains('*') {
        return Err(format!(
            "entry `{token}` has a `*` that is not its leading `*.`; write `*.domain` for subdomains"
        ));
    }
    if token.contains('@') {
        let canonical = canonical_address(token).map_err(describe)?.into_string();
        return Ok(ParsedEntry {
            written: token,
            kind: EntryKind::Address,
            canonical,
            at_form: false,
        });
    }
    let canonical = canonical_domain(token).map_err(|e| match e {
        AddressError::InvalidDomain(_) => {
            format!(
                "entry `{}` is not a valid domain name",
                token.escape_debug()
            )
        }
        other => describe(other),
    })?;
    Ok(ParsedEntry {
        written: token,
        kind: EntryKind::Domain,
        canonical,
        at_form: false,
    })
}

/// Checks an OU path: `/`, or `/`-separated non-empty names with no control characters.
///
/// # Errors
/// A message saying what is wrong with it.
pub fn check_org_unit_path(path: &str) -> Result<(), String> {
    if path == "/" {
        return Ok(());
    }
    if !path.starts_with('/') {
        return Err(format!("org unit path `{path}` does not start with `/`"));
    }
    if path.ends_with('/') {
        return Err(format!("org unit path `{path}` ends with `/`"));
    }
    if path.split('/').skip(1).any(str::is_empty) {
        return Err(format!(
            "org unit path `{path}` has an empty name between `/`"
        ));
    }
    if path.chars().any(char::is_control) {
        return Err(format!(
            "org unit path `{}` contains a control character",
            path.escape_debug()
        ));
    }
    Ok(())
}

/// The parent of a valid OU path (`/A/B` → `/A`, `/A` → `/`), or `None` for `/`.
pub fn parent_path(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    match path.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => path.get(..i),
        None => None,
    }
}

pub(crate) const MSG_INBOUND: u8 = 1;
pub(crate) const MSG_OUTBOUND: u8 = 2;
pub(crate) const MSG_REQUIRING: u8 = 4;

pub(crate) fn message_bit(kind: MessageKind) -> u8 {
    match kind {
        MessageKind::Inbound => MSG_INBOUND,
        MessageKind::Outbound => MSG_OUTBOUND,
        MessageKind::OutboundRequiringSecureTransport => MSG_REQUIRING,
    }
}

#[derive(Debug)]
pub(crate) struct CompiledSetting {
    pub name: String,
    pub defined_at: OuId,
    /// Where it is written: `orgUnits[item].settings[index]`.
    pub item: usize,
    pub index: usize,
    /// The unit whose setting of the same name this one replaces, if any.
    pub replaces: Option<OuId>,
    pub enabled: bool,
    pub messages: u8,
    pub lists: Vec<ListId>,
    pub ca_signed: bool,
    pub hostname: bool,
    pub min_tls_version: TlsVersion,
}

#[derive(Debug)]
pub(crate) struct CompiledOrgUnit {
    pub path: String,
    /// The policy has an `orgUnits` item for this path (else the unit exists implicitly).
    pub declared: bool,
    /// Enabled effective settings, in effective-settings order.
    pub effective: Vec<u32>,
    /// All effective settings, disabled ones included (they still replace what they override).
    pub all: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct EntryRecord {
    /// Where the entry as written starts in the arena.
    written_start: u32,
    written_len: u16,
    // INVARIANT: the canonical text is the `canonical_len` bytes at `written_start +
    // canonical_offset`: inside the written text (the same text, `*.domain`, a trailing dot) or
    // stored right after it (`canonical_offset == written_len`).
    canonical_offset: u16,
    list: ListId,
    /// A canonical address or domain is at most 255 octets (RFC 5321).
    canonical_len: u8,
    kind: EntryKind,
}

/// Id-keyed maps: the ids are small integers from this index, so a fast fixed hash is enough.
type IdMap = HashMap<EntryId, EntryId, foldhash::fast::FixedState>;

/// The hash index over every entry of every list.
#[derive(Debug, Default)]
pub(crate) struct EntryIndex {
    arena: String,
    entries: Vec<EntryRecord>,
    // INVARIANT: `next[&i]` is the id of the next entry with the same kind and canonical text as
    // entry `i`, in document order; an entry that is the last (nearly every one) has no key, so
    // the map only holds repeated entries.
    next: IdMap,
    // Holds the first entry id of each (kind, canonical text).
    table: HashTable<EntryId>,
    /// Bit `n` (`n` capped at 63) is set when some `*.` entry's domain has `n` labels: a look-up
    /// probes only the parent domains of those lengths.
    wildcard_labels: u64,
}

fn key_hash(kind: EntryKind, text: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x7c15_c0de).hash_one((kind as u8, text))
}

fn label_bit(labels: usize) -> u64 {
    1u64 << labels.min(63)
}

impl EntryIndex {
    /// An empty index with room for `entries` entries whose written text is `bytes` long.
    fn with_capacity(entries: usize, bytes: usize) -> Self {
        Self {
            arena: String::with_capacity(bytes),
            entries: Vec::with_capacity(entries),
            next: IdMap::default(),
            table: HashTable::with_capacity(entries),
            wildcard_labels: 0,
        }
    }

    fn canonical_of<'s>(arena: &'s str, e: &EntryRecord) -> &'s str {
        let start = e.written_start as usize + e.canonical_offset as usize;
        arena
            .get(start..start + e.canonical_len as usize)
            .unwrap_or_default()
    }

    fn canonical(&self, e: &EntryRecord) -> &str {
        Self::canonical_of(&self.arena, e)
    }

    /// The entry as written in the policy.
    pub fn written(&self, id: EntryId) -> Option<&str> {
        self.entries.get(id as usize).map(|e| {
            let start = e.written_start as usize;
            self.arena
                .get(start..start + e.written_len as usize)
                .unwrap_or_default()
        })
    }

    /// Appends to the arena, growing it by an eighth at a time rather than doubling it: it is
    /// sized for the written text up front, and only canonical forms that differ from it are
    /// added beyond that.
    fn push_text(&mut self, s: &str) {
        if self.arena.capacity() - self.arena.len() < s.len() {
            self.arena
                .reserve_exact(s.len() + self.arena.capacity() / 8);
        }
        self.arena.push_str(s);
    }

    /// Adds an entry; `tails` tracks the last entry of each chain of repeated entries while
    /// building.
    fn insert(&mut self, list: ListId, entry: &ParsedEntry<'_>, tails: &mut IdMap) -> Option<()> {
        let id = EntryId::try_from(self.entries.len()).ok()?;
        let written_start = u32::try_from(self.arena.len()).ok()?;
        let written_len = u16::try_from(entry.written.len()).ok()?;
        let canonical_len = u8::try_from(entry.canonical.len()).ok()?;
        u32::try_from(self.arena.len() + entry.written.len() + entry.canonical.len()).ok()?;
        self.push_text(entry.written);
        // The canonical text is often the written text itself, or the part of it after `@` or
        // `*.` and before a trailing dot.
        let inside = (0..=2).find(|&at| {
            entry.written.get(at..at + entry.canonical.len()) == Some(entry.canonical.as_str())
        });
        let canonical_offset = match inside {
            Some(at) => u16::try_from(at).ok()?,
            None => {
                self.push_text(&entry.canonical);
                written_len
            }
        };
        let record = EntryRecord {
            written_start,
            written_len,
            canonical_offset,
            list,
            canonical_len,
            kind: entry.kind,
        };
        self.entries.push(record);
        if entry.kind == EntryKind::Wildcard {
            let labels = entry.canonical.bytes().filter(|&b| b == b'.').count() + 1;
            self.wildcard_labels |= label_bit(labels);
        }
        let hash = key_hash(entry.kind, &entry.canonical);
        let existing = {
            let (entries, arena) = (&self.entries, &self.arena);
            self.table
                .find(hash, |&other| {
                    entries.get(other as usize).is_some_and(|o| {
                        o.kind == entry.kind && Self::canonical_of(arena, o) == entry.canonical
                    })
                })
                .copied()
        };
        match existing {
            Some(head) => {
                let tail = tails.get(&head).copied().unwrap_or(head);
                self.next.insert(tail, id);
                tails.insert(head, id);
            }
            None => {
                let (entries, arena) = (&self.entries, &self.arena);
                self.table.insert_unique(hash, id, |&other| {
                    entries
                        .get(other as usize)
                        .map_or(0, |o| key_hash(o.kind, Self::canonical_of(arena, o)))
                });
            }
        }
        Some(())
    }

    /// The first entry (in document order) of the chain for this key.
    fn head(&self, kind: EntryKind, text: &str) -> Option<EntryId> {
        self.table
            .find(key_hash(kind, text), |&id| {
                self.entries
                    .get(id as usize)
                    .is_some_and(|e| e.kind == kind && self.canonical(e) == text)
            })
            .copied()
    }

    /// Adds to `hits` every (list, entry) for this key, skipping lists already in `hits`.
    fn collect(&self, kind: EntryKind, text: &str, hits: &mut Vec<(ListId, EntryId)>) {
        let mut id = match self.head(kind, text) {
            Some(id) => id,
            None => return,
        };
        while let Some(e) = self.entries.get(id as usize) {
            if !hits.iter().any(|&(l, _)| l == e.list) {
                hits.push((e.list, id));
            }
            if self.next.is_empty() {
                break;
            }
            match self.next.get(&id) {
                Some(&n) => id = n,
                None => break,
            }
        }
    }

    /// Every list that covers the canonical `address` (whose domain is `domain`), each with its
    /// most specific entry: the address, then the domain, then the longest `*.` entry.
    pub fn lookup(&self, address: &str, domain: &str, hits: &mut Vec<(ListId, EntryId)>) {
        hits.clear();
        self.collect(EntryKind::Address, address, hits);
        self.collect(EntryKind::Domain, domain, hits);
        if self.wildcard_labels == 0 {
            return;
        }
        let mut labels = domain.bytes().filter(|&b| b == b'.').count() + 1;
        let mut rest = domain;
        while let Some((_, parent)) = rest.split_once('.') {
            labels = labels.saturating_sub(1);
            if self.wildcard_labels & label_bit(labels) != 0 {
                self.collect(EntryKind::Wildcard, parent, hits);
            }
            rest = parent;
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Heap bytes held (the hash map of repeated entries approximately).
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.entries.capacity() * std::mem::size_of::<EntryRecord>()
            + self.next.capacity() * (2 * std::mem::size_of::<EntryId>() + 1)
            + self.table.allocation_size()
    }
}

/// A policy compiled for decisions: validated, canonicalised, indexed. Immutable, and `Send +
/// Sync`, so one compiled policy can serve every thread.
#[derive(Debug)]
pub struct CompiledPolicy {
    pub(crate) lists: Vec<String>,
    pub(crate) settings: Vec<CompiledSetting>,
    pub(crate) org_units: Vec<CompiledOrgUnit>,
    pub(crate) org_unit_ids: HashMap<String, OuId>,
    pub(crate) members: HashMap<String, OuId>,
    pub(crate) index: EntryIndex,
}

impl CompiledPolicy {
    /// Validates `doc` and compiles it.
    ///
    /// # Errors
    /// Every validation error of the document (SPEC §6), each with its code, message and JSON
    /// pointer.
    pub fn compile(doc: &PolicyDocument) -> Result<Self, Vec<ValidationError>> {
        Compiler::default().run(doc)
    }

    /// Number of indexed address-list entries.
    pub fn entry_count(&self) -> usize {
        self.index.len()
    }

    /// Approximate heap bytes of the entry index (the part that grows with the lists).
    pub fn index_heap_bytes(&self) -> usize {
        self.index.heap_bytes()
    }

    /// The compiled OU for `path`, or its nearest ancestor that the policy knows (every path has
    /// `/` as an ancestor).
    pub(crate) fn org_unit_for(&self, path: &str) -> Option<&CompiledOrgUnit> {
        let mut p = Some(path);
        while let Some(candidate) = p {
            if let Some(&id) = self.org_unit_ids.get(candidate) {
                return self.org_units.get(id as usize);
            }
            p = parent_path(candidate);
        }
        None
    }

    /// The OU path a member belongs to (`/` when not a member).
    pub(crate) fn member_org_unit(&self, canonical_address: &str) -> &str {
        self.members
            .get(canonical_address)
            .and_then(|&id| self.org_units.get(id as usize))
            .map_or("/", |ou| ou.path.as_str())
    }
}

#[derive(Default)]
struct Compiler {
    errors: Vec<ValidationError>,
}

impl Compiler {
    fn error(&mut self, code: ErrorCode, ptr: impl Into<String>, message: impl Into<String>) {
        self.errors.push(Diagnostic::new(code, ptr, message));
    }

    fn run(mut self, doc: &PolicyDocument) -> Result<CompiledPolicy, Vec<ValidationError>> {
        if doc.version != POLICY_VERSION {
            self.error(
                ErrorCode::UnsupportedVersion,
                "/version",
                format!(
                    "version `{}` is not supported; this engine reads version `1`",
                    doc.version
                ),
            );
        }
        let (lists, list_ids, index) = self.lists(doc);
        let (org_units, org_unit_ids, settings) = self.org_units(doc, &list_ids);
        let mut compiled = CompiledPolicy {
            lists,
            settings,
            org_units,
            org_unit_ids,
            members: HashMap::new(),
            index,
        };
        self.members(doc, &mut compiled);
        if self.errors.is_empty() {
            Ok(compiled)
        } else {
            Err(self.errors)
        }
    }

    fn lists(
        &mut self,
        doc: &PolicyDocument,
    ) -> (Vec<String>, HashMap<String, ListId>, EntryIndex) {
        let mut names = Vec::with_capacity(doc.address_lists.len());
        let mut ids: HashMap<String, ListId> = HashMap::new();
        let mut index = EntryIndex::default();
        let mut tails = IdMap::default();
        if doc.address_lists.len() > MAX_ADDRESS_LISTS {
            self.error(
                ErrorCode::TooManyAddressLists,
                "/addressLists",
                format!(
                    "the policy has {} address lists; at most {MAX_ADDRESS_LISTS} are allowed",
                    doc.address_lists.len()
                ),
            );
            return (names, ids, index);
        }
        // Size the index once, for the entries each list may hold, so that it never grows by
        // doubling: at a million entries that would double the peak memory of compiling. The
        // count is a byte scan that splits on ASCII separators only, so it is at most the true
        // count; the arena gets the strings' length, separators included, and is shrunk at the
        // end.
        let (mut total_entries, mut total_bytes) = (0usize, 0usize);
        for list in &doc.address_lists {
            let n: usize = list.entries.iter().map(|s| count_tokens(s)).sum();
            total_entries += n.min(MAX_ENTRIES_PER_LIST);
            total_bytes += list.entries.iter().map(String::len).sum::<usize>();
        }
        index = EntryIndex::with_capacity(total_entries, total_bytes);
        for (i, list) in doc.address_lists.iter().enumerate() {
            let base = format!("/addressLists/{i}");
            let list_id = ListId::try_from(i).unwrap_or(ListId::MAX);
            if list.name.trim().is_empty() {
                self.error(
                    ErrorCode::EmptyName,
                    format!("{base}/name"),
                    "address list name is empty",
                );
            } else if let Some(first) = ids.get(&list.name) {
                self.error(
                    ErrorCode::DuplicateAddressList,
                    format!("{base}/name"),
                    format!(
                        "address list `{}` is already defined at `/addressLists/{first}`",
                        list.name
                    ),
                );
            } else {
                ids.insert(list.name.clone(), list_id);
            }
            names.push(list.name.clone());
            let mut count = 0usize;
            'strings: for (j, s) in list.entries.iter().enumerate() {
                for token in entry_tokens(s) {
                    count += 1;
                    if count > MAX_ENTRIES_PER_LIST {
                        self.error(
                            ErrorCode::TooManyEntries,
                            format!("{base}/entries"),
                            format!(
                                "address list `{}` has more than {MAX_ENTRIES_PER_LIST} entries",
                                list.name
                            ),
                        );
                        break 'strings;
                    }
                    match parse_entry(token) {
                        Ok(entry) => {
                            if self.errors.is_empty()
                                && index.insert(list_id, &entry, &mut tails).is_none()
                            {
                                self.error(
                                    ErrorCode::TooManyEntries,
                                    format!("{base}/entries/{j}"),
                                    "the policy's entries exceed the index's capacity",
                                );
                            }
                        }
                        Err(message) => self.error(
                            ErrorCode::InvalidEntry,
                            format!("{base}/entries/{j}"),
                            message,
                        ),
                    }
                }
            }
        }
        index.arena.shrink_to_fit();
        (names, ids, index)
    }

    fn org_units(
        &mut self,
        doc: &PolicyDocument,
        list_ids: &HashMap<String, ListId>,
    ) -> (
        Vec<CompiledOrgUnit>,
        HashMap<String, OuId>,
        Vec<CompiledSetting>,
    ) {
        let total: usize = doc.org_units.iter().map(|ou| ou.settings.len()).sum();
        if total > MAX_SETTINGS {
            self.error(
                ErrorCode::TooManySettings,
                "/orgUnits",
                format!("the policy has {total} settings; at most {MAX_SETTINGS} are allowed"),
            );
        }
        // Every OU that exists: declared ones, their ancestors, members' OUs and theirs, and `/`.
        let mut declared: BTreeMap<&str, usize> = BTreeMap::new();
        let mut paths: BTreeMap<String, ()> = BTreeMap::new();
        paths.insert("/".to_owned(), ());
        for (i, ou) in doc.org_units.iter().enumerate() {
            let ptr = format!("/orgUnits/{i}/path");
            if let Err(m) = check_org_unit_path(&ou.path) {
                self.error(ErrorCode::InvalidOrgUnitPath, ptr, m);
                continue;
            }
            if let Some(first) = declared.get(ou.path.as_str()) {
                self.error(
                    ErrorCode::DuplicateOrgUnit,
                    ptr,
                    format!(
                        "org unit `{}` is already declared at `/orgUnits/{first}`",
                        ou.path
                    ),
                );
                continue;
            }
            declared.insert(&ou.path, i);
            add_with_ancestors(&mut paths, &ou.path);
        }
        let mut resolved: Vec<Vec<Option<Vec<ListId>>>> = doc
            .org_units
            .iter()
            .enumerate()
            .map(|(i, ou)| self.check_settings(i, ou, list_ids))
            .collect();
        for ou_path in doc.members.values() {
            if check_org_unit_path(ou_path).is_ok() {
                add_with_ancestors(&mut paths, ou_path);
            }
        }
        // BTreeMap order puts every ancestor before its descendants (`/` sorts first, and a
        // parent's path is a prefix of its children's).
        let mut org_units: Vec<CompiledOrgUnit> = Vec::with_capacity(paths.len());
        let mut ids: HashMap<String, OuId> = HashMap::with_capacity(paths.len());
        let mut settings: Vec<CompiledSetting> = Vec::with_capacity(total.min(MAX_SETTINGS));
        for path in paths.keys() {
            let id = OuId::try_from(org_units.len()).unwrap_or(OuId::MAX);
            let mut effective: Vec<u32> = parent_path(path)
                .and_then(|p| ids.get(p))
                .and_then(|&pid| org_units.get(pid as usize))
                .map(|parent| parent.all.clone())
                .unwrap_or_default();
            if let Some(&i) = declared.get(path.as_str()) {
                let items = doc
                    .org_units
                    .get(i)
                    .map(|o| o.settings.as_slice())
                    .unwrap_or_default();
                let resolved = resolved.get_mut(i).map(std::mem::take).unwrap_or_default();
                for (k, (s, lists)) in items.iter().zip(resolved).enumerate() {
                    // A repeated name was reported; only its first definition is compiled.
                    let Some(lists) = lists else { continue };
                    let sid = u32::try_from(settings.len()).unwrap_or(u32::MAX);
                    // A setting named like an inherited one replaces it in place.
                    let replaced = effective
                        .iter()
                        .position(|&e| settings.get(e as usize).is_some_and(|x| x.name == s.name));
                    let replaces = replaced
                        .and_then(|p| effective.get(p))
                        .and_then(|&e| settings.get(e as usize))
                        .map(|x| x.defined_at);
                    settings.push(CompiledSetting {
                        name: s.name.clone(),
                        defined_at: id,
                        item: i,
                        index: k,
                        replaces,
                        enabled: s.is_enabled(),
                        messages: s.messages.iter().fold(0, |acc, &m| acc | message_bit(m)),
                        lists,
                        ca_signed: s.requires_ca_signed(),
                        hostname: s.validates_hostname(),
                        min_tls_version: s.min_version(),
                    });
                    match replaced.and_then(|p| effective.get_mut(p)) {
                        Some(slot) => *slot = sid,
                        None => effective.push(sid),
                    }
                }
            }
            // A disabled setting stays in `all` so that it still replaces what it
            // overrides, but only enabled ones take part in decisions.
            let enabled: Vec<u32> = effective
                .iter()
                .copied()
                .filter(|&e| settings.get(e as usize).is_some_and(|s| s.enabled))
                .collect();
            org_units.push(CompiledOrgUnit {
                path: path.clone(),
                declared: declared.contains_key(path.as_str()),
                effective: enabled,
                all: effective,
            });
            ids.insert(path.clone(), id);
        }
        (org_units, ids, settings)
    }

    /// Checks the settings of `orgUnits` item `i` (names, repeated names, address lists) and
    /// resolves each one's lists; `None` for a setting whose name repeats an earlier one of the
    /// item. Every item is checked, whether or not its path is valid, so that all errors are
    /// reported at once.
    fn check_settings(
        &mut self,
        i: usize,
        ou: &OrgUnit,
        list_ids: &HashMap<String, ListId>,
    ) -> Vec<Option<Vec<ListId>>> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut resolved = Vec::with_capacity(ou.settings.len());
        for (k, s) in ou.settings.iter().enumerate() {
            let base = format!("/orgUnits/{i}/settings/{k}");
            if s.name.trim().is_empty() {
                self.error(
                    ErrorCode::EmptyName,
                    format!("{base}/name"),
                    "setting name is empty",
                );
            }
            if let Some(first) = seen.insert(&s.name, k) {
                self.error(
                    ErrorCode::DuplicateSetting,
                    format!("{base}/name"),
                    format!(
                        "setting `{}` is already defined in org unit `{}` at `/orgUnits/{i}/settings/{first}`",
                        s.name,
                        ou.path.escape_debug()
                    ),
                );
                resolved.push(None);
                continue;
            }
            let mut lists = Vec::with_capacity(s.address_lists.len());
            for (m, name) in s.address_lists.iter().enumerate() {
                match list_ids.get(name) {
                    Some(&l) => {
                        if !lists.contains(&l) {
                            lists.push(l);
                        }
                    }
                    None => self.error(
                        ErrorCode::UnknownAddressList,
                        format!("{base}/addressLists/{m}"),
                        format!(
                            "setting `{}` names address list `{name}`, which is not defined",
                            s.name
                        ),
                    ),
                }
            }
            resolved.push(Some(lists));
        }
        resolved
    }

    fn members(&mut self, doc: &PolicyDocument, compiled: &mut CompiledPolicy) {
        let mut written: HashMap<String, &str> = HashMap::new();
        for (key, ou_path) in &doc.members {
            let ptr = pointer::push("/members", key);
            let address = match canonical_address(key) {
                Ok(a) => a.into_string(),
                Err(e) => {
                    self.error(
                        ErrorCode::InvalidMemberAddress,
                        ptr,
                        format!("member `{}` {e}", key.escape_debug()),
                    );
                    continue;
                }
            };
            if let Err(m) = check_org_unit_path(ou_path) {
                self.error(ErrorCode::InvalidOrgUnitPath, ptr, m);
                continue;
            }
            if let Some(first) = written.get(&address) {
                self.error(
                    ErrorCode::DuplicateMember,
                    ptr,
                    format!("member `{key}` is the same address as member `{first}`"),
                );
                continue;
            }
            written.insert(address.clone(), key);
            let id = compiled
                .org_unit_ids
                .get(ou_path.as_str())
                .copied()
                .unwrap_or(0);
            compiled.members.insert(address, id);
        }
    }
}

fn add_with_ancestors(paths: &mut BTreeMap<String, ()>, path: &str) {
    let mut p = Some(path);
    while let Some(current) = p {
        if paths.contains_key(current) {
            break;
        }
        paths.insert(current.to_owned(), ());
        p = parent_path(current);
    }
}
