//! The namespace the server describes: leaves by path, the tree they form, and its OSCQuery JSON
//! (attribute names from the Vidvox OSCQuery proposal).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use rosc::OscType;
use serde_json::{Map, Value as Json, json};

/// The value of a leaf now, as OSC arguments.
pub type Value = Vec<OscType>;

/// Who may read and write a leaf (OSCQuery `ACCESS` 1, 2 and 3; containers are 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only read: an analysis value.
    Read,
    /// Only written: a trigger.
    Write,
    /// Read and written: a control.
    ReadWrite,
}

impl Access {
    fn code(self) -> u8 {
        match self {
            Access::Read => 1,
            Access::Write => 2,
            Access::ReadWrite => 3,
        }
    }
}

/// The values a leaf's arguments may take (OSCQuery `RANGE`).
#[derive(Debug, Clone, PartialEq)]
pub enum Range {
    /// Inclusive bounds (`{"MIN":..,"MAX":..}`).
    MinMax(f64, f64),
}

/// One leaf the server describes: a control (or a read-only analysis value).
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// Its OSC address, e.g. `/deck/1/filter`.
    pub path: String,
    /// Its OSC type tags, e.g. `f`, `i`, `s`, or `N` for a trigger that carries no value.
    pub type_tag: String,
    /// What its arguments may be, reported once per type tag.
    pub range: Option<Range>,
    /// Its unit (`dB`, `Hz`), reported once per type tag.
    pub unit: Option<String>,
    /// What it does, for people browsing the namespace.
    pub description: String,
    /// Who may read and write it.
    pub access: Access,
}

/// Characters OSC 1.0 forbids in an address part (they are pattern syntax or separators).
const FORBIDDEN: [char; 9] = [' ', '#', '*', ',', '?', '[', ']', '{', '}'];

/// Whether `path` is an OSC address a leaf may have: `/a/b`, no empty part, no pattern characters.
fn valid_path(path: &str) -> bool {
    path.strip_prefix('/').is_some_and(|rest| {
        rest.split('/')
            .all(|part| !part.is_empty() && !part.contains(FORBIDDEN))
    })
}

/// The path one level up (`/a/b` -> `/a`, `/a` -> `/`).
fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(at) => &path[..at],
    }
}

/// The deepest path that `a` and `b` both lie under (or are).
fn common_ancestor(a: &str, b: &str) -> String {
    let shared: Vec<&str> = a
        .split('/')
        .zip(b.split('/'))
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect();
    let joined = shared.join("/");
    if joined.is_empty() { "/".to_owned() } else { joined }
}

/// Every leaf by path. Sorted, so the leaves under a node are one contiguous range.
#[derive(Debug, Default)]
pub(crate) struct Namespace {
    leaves: BTreeMap<String, Leaf>,
}

impl Namespace {
    /// Keeps the leaves whose path is a valid OSC address (others could not be listened to or
    /// written); of two leaves with one path the later wins.
    pub(crate) fn new(leaves: Vec<Leaf>) -> Self {
        let leaves = leaves
            .into_iter()
            .filter(|leaf| valid_path(&leaf.path))
            .map(|leaf| (leaf.path.clone(), leaf));
        Self {
            leaves: leaves.collect(),
        }
    }

    /// The leaf at `path`, if there is one.
    pub(crate) fn leaf(&self, path: &str) -> Option<&Leaf> {
        self.leaves.get(path)
    }

    /// The leaves strictly under `path`, in path order.
    fn below<'a>(&'a self, path: &str) -> impl Iterator<Item = (&'a String, &'a Leaf)> {
        let prefix = if path == "/" {
            "/".to_owned()
        } else {
            format!("{path}/")
        };
        self.leaves
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(move |(leaf_path, _)| leaf_path.starts_with(&prefix))
    }

    /// Whether a node (leaf, container or both) is at `path`; the root always is.
    fn has_node(&self, path: &str) -> bool {
        path == "/" || self.leaves.contains_key(path) || self.below(path).next().is_some()
    }

    /// `path` or the nearest node above it that exists in both `self` and `new`.
    fn survivor<'p>(&self, new: &Namespace, mut path: &'p str) -> &'p str {
        while !(self.has_node(path) && new.has_node(path)) {
            path = parent(path);
        }
        path
    }

    /// The JSON of the node at `path` and everything under it; `None` if no node is there.
    pub(crate) fn node_json(&self, path: &str, values: &HashMap<String, Value>) -> Option<Json> {
        let mut node = Node {
            leaf: self.leaves.get(path),
            children: BTreeMap::new(),
        };
        let skip = if path == "/" { 1 } else { path.len() + 1 };
        for (leaf_path, leaf) in self.below(path) {
            let mut at = &mut node;
            for part in leaf_path[skip..].split('/') {
                at = at.children.entry(part).or_insert_with(|| Node {
                    leaf: None,
                    children: BTreeMap::new(),
                });
            }
            at.leaf = Some(leaf);
        }
        self.has_node(path).then(|| node.to_json(path, values))
    }

    /// The one path to announce as `PATH_CHANGED` when `self` is replaced by `new`: the deepest
    /// node above every change that exists in both, so re-reading it gives a client the whole
    /// change. `None` when nothing a client can see changed.
    pub(crate) fn changed_root(&self, new: &Namespace) -> Option<String> {
        // An edited leaf is its own change; an added or removed one changes the nearest node that
        // exists before and after (its own path when it stays a container).
        let edited = self
            .leaves
            .iter()
            .filter_map(|(path, leaf)| match new.leaves.get(path) {
                Some(now) if now == leaf => None,
                Some(_) => Some(path.as_str()),
                None => Some(self.survivor(new, path)),
            });
        let added = new
            .leaves
            .keys()
            .filter(|path| !self.leaves.contains_key(*path))
            .map(|path| self.survivor(new, path));
        edited.chain(added).fold(None, |root: Option<String>, path| {
            Some(root.map_or_else(|| path.to_owned(), |root| common_ancestor(&root, path)))
        })
    }
}

/// A node while the JSON is built: its leaf, if it is one, and what is under it.
struct Node<'a> {
    leaf: Option<&'a Leaf>,
    children: BTreeMap<&'a str, Node<'a>>,
}

impl Node<'_> {
    fn to_json(&self, full_path: &str, values: &HashMap<String, Value>) -> Json {
        let mut object = Map::new();
        object.insert("FULL_PATH".into(), full_path.into());
        match self.leaf {
            Some(leaf) => leaf_attributes(leaf, values.get(&leaf.path), &mut object),
            None => {
                object.insert("ACCESS".into(), 0.into());
            }
        }
        if !self.children.is_empty() {
            let contents = self.children.iter().map(|(name, child)| {
                let child_path = if full_path == "/" {
                    format!("/{name}")
                } else {
                    format!("{full_path}/{name}")
                };
                ((*name).to_owned(), child.to_json(&child_path, values))
            });
            object.insert("CONTENTS".into(), Json::Object(contents.collect()));
        }
        Json::Object(object)
    }
}

/// Adds a leaf's attributes. `VALUE` is left out for write-only leaves (nothing to read) and
/// while the app has not set one (triggers never have one).
fn leaf_attributes(leaf: &Leaf, value: Option<&Value>, object: &mut Map<String, Json>) {
    // RANGE and UNIT hold one entry per argument.
    let per_argument = |entry: Json| Json::Array(vec![entry; leaf.type_tag.chars().count().max(1)]);
    object.insert("TYPE".into(), leaf.type_tag.as_str().into());
    object.insert("DESCRIPTION".into(), leaf.description.as_str().into());
    object.insert("ACCESS".into(), leaf.access.code().into());
    if let Some(range) = &leaf.range {
        let entry = match range {
            Range::MinMax(min, max) => json!({ "MIN": min, "MAX": max }),
        };
        object.insert("RANGE".into(), per_argument(entry));
    }
    if let Some(unit) = &leaf.unit {
        object.insert("UNIT".into(), per_argument(unit.as_str().into()));
    }
    if let Some(value) = value.filter(|value| leaf.access != Access::Write && !value.is_empty()) {
        object.insert("VALUE".into(), value.iter().map(osc_to_json).collect());
    }
}

/// One OSC argument as JSON; kinds JSON cannot hold (blobs, times, colours, MIDI, nil, infinity)
/// become `null`.
fn osc_to_json(arg: &OscType) -> Json {
    match arg {
        OscType::Int(v) => (*v).into(),
        OscType::Long(v) => (*v).into(),
        // Through the shortest decimal form, so 0.1f32 reads 0.1 rather than 0.10000000149011612.
        OscType::Float(v) => v.to_string().parse::<f64>().map_or(Json::Null, Json::from),
        OscType::Double(v) => (*v).into(),
        OscType::String(v) => v.as_str().into(),
        OscType::Char(v) => v.to_string().into(),
        OscType::Bool(v) => (*v).into(),
        OscType::Array(array) => array.content.iter().map(osc_to_json).collect(),
        OscType::Blob(_) | OscType::Time(_) | OscType::Color(_) | OscType::Midi(_) | OscType::Nil | OscType::Inf => {
            Json::Null
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(path: &str, type_tag: &str, access: Access) -> Leaf {
        Leaf {
            path: path.into(),
            type_tag: type_tag.into(),
            range: None,
            unit: None,
            description: String::new(),
            access,
        }
    }

    fn sample() -> Namespace {
        Namespace::new(vec![
            Leaf {
                range: Some(Range::MinMax(0.0, 1.0)),
                unit: Some("dB".into()),
                description: "Filter".into(),
                ..leaf("/deck/1/filter", "f", Access::ReadWrite)
            },
            Leaf {
                range: Some(Range::MinMax(0.0, 1.0)),
                ..leaf("/visuals/scene", "i", Access::ReadWrite)
            },
            leaf("/visuals/scene/next", "N", Access::Write),
        ])
    }

    #[test]
    fn leaf_json_has_every_attribute() {
        let values = HashMap::from([("/deck/1/filter".to_owned(), vec![OscType::Float(0.1)])]);
        let node = sample().node_json("/deck/1/filter", &values).unwrap();
        assert_eq!(
            node,
            json!({
                "FULL_PATH": "/deck/1/filter", "TYPE": "f", "DESCRIPTION": "Filter", "ACCESS": 3,
                "RANGE": [{ "MIN": 0.0, "MAX": 1.0 }], "UNIT": ["dB"], "VALUE": [0.1]
            })
        );
    }

    #[test]
    fn root_nests_containers_and_a_leaf_can_have_contents() {
        let root = sample().node_json("/", &HashMap::new()).unwrap();
        assert_eq!(root["FULL_PATH"], "/");
        assert_eq!(root["ACCESS"], 0);
        let deck = &root["CONTENTS"]["deck"];
        assert_eq!(deck["FULL_PATH"], "/deck");
        assert_eq!(deck["CONTENTS"]["1"]["CONTENTS"]["filter"]["TYPE"], "f");
        let scene = &root["CONTENTS"]["visuals"]["CONTENTS"]["scene"];
        assert_eq!(scene["RANGE"], json!([{ "MIN": 0.0, "MAX": 1.0 }]));
        assert_eq!(scene["CONTENTS"]["next"]["FULL_PATH"], "/visuals/scene/next");
        assert!(scene.get("VALUE").is_none(), "no value set yet");
    }

    #[test]
    fn missing_nodes_and_prefix_lookalikes_are_absent() {
        let namespace = sample();
        assert!(namespace.node_json("/deck/1/filt", &HashMap::new()).is_none());
        assert!(namespace.node_json("/deck/2", &HashMap::new()).is_none());
        assert!(namespace.node_json("/deck", &HashMap::new()).is_some());
    }

    #[test]
    fn write_only_leaves_never_report_a_value() {
        let values = HashMap::from([("/visuals/scene/next".to_owned(), vec![OscType::Int(1)])]);
        let node = sample().node_json("/visuals/scene/next", &values).unwrap();
        assert!(node.get("VALUE").is_none());
        assert!(node.get("RANGE").is_none() && node.get("UNIT").is_none());
    }

    #[test]
    fn invalid_paths_are_dropped() {
        let namespace = Namespace::new(
            ["", "/", "deck", "/a//b", "/a/", "/a b", "/a/*", "/ok"]
                .map(|path| leaf(path, "f", Access::Read))
                .to_vec(),
        );
        assert_eq!(namespace.leaves.keys().collect::<Vec<_>>(), ["/ok"]);
    }

    #[test]
    fn osc_arguments_become_json() {
        let args = [
            OscType::Int(-3),
            OscType::Float(f32::NAN),
            OscType::Bool(true),
            OscType::String("x".into()),
            OscType::Nil,
            OscType::Array(rosc::OscArray {
                content: vec![OscType::Double(2.5)],
            }),
        ];
        let json: Vec<Json> = args.iter().map(osc_to_json).collect();
        assert_eq!(Json::Array(json), json!([-3, null, true, "x", null, [2.5]]));
    }

    #[test]
    fn changed_root_is_the_deepest_node_above_all_changes() {
        let old = sample();
        assert_eq!(old.changed_root(&sample()), None);

        let mut leaves: Vec<Leaf> = old.leaves.values().cloned().collect();
        leaves.push(leaf("/deck/1/gain", "f", Access::ReadWrite));
        assert_eq!(
            old.changed_root(&Namespace::new(leaves.clone())).as_deref(),
            Some("/deck/1")
        );

        // A whole new deck: its parent is the deepest node that exists on both sides.
        leaves.push(leaf("/deck/2/gain", "f", Access::ReadWrite));
        assert_eq!(
            old.changed_root(&Namespace::new(leaves.clone())).as_deref(),
            Some("/deck")
        );

        // An edit under /visuals as well: only the root covers both.
        leaves[1].description = "Scene".into();
        assert_eq!(old.changed_root(&Namespace::new(leaves)).as_deref(), Some("/"));

        // The scene leaf goes but its container stays: that node itself changed.
        let without_scene = old
            .leaves
            .values()
            .filter(|leaf| leaf.path != "/visuals/scene")
            .cloned()
            .collect();
        assert_eq!(
            old.changed_root(&Namespace::new(without_scene)).as_deref(),
            Some("/visuals/scene")
        );
    }

    #[test]
    fn path_helpers() {
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
        assert_eq!(common_ancestor("/a/b/c", "/a/b/d"), "/a/b");
        assert_eq!(common_ancestor("/a/b", "/ab"), "/");
        assert_eq!(common_ancestor("/a", "/a"), "/a");
    }
}
