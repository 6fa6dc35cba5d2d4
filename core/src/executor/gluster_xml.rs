//! Reading `gluster … --xml` output.
//!
//! With `--xml` the gluster CLI exits 0 even when the operation failed; the verdict is in
//! `<opRet>` (0 = success), `<opErrno>` and `<opErrstr>`.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::GlusterVolume;
use super::parse::ParseError;

/// A minimal element tree: enough to read gluster's small, regular documents.
#[derive(Debug, Default)]
pub(super) struct Element {
    pub(super) name: String,
    pub(super) text: String,
    pub(super) children: Vec<Element>,
}

impl Element {
    pub(super) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    pub(super) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    pub(super) fn text_of(&self, name: &str) -> String {
        self.child(name)
            .map(|c| c.text.trim().to_string())
            .unwrap_or_default()
    }
}

pub(super) fn err(e: impl std::fmt::Display) -> ParseError {
    ParseError(format!("gluster xml: {e}"))
}

/// Deepest element nesting accepted. gluster's documents are 7 levels deep at most
/// (`cliOutput/volInfo/volumes/volume/bricks/brick/name`); the tree is dropped
/// recursively, so a node that sent a hundred thousand nested elements would
/// otherwise overflow the stack of the task reading its answer.
pub(super) const MAX_DEPTH: usize = 64;

pub(super) fn parse_tree(xml: &str) -> Result<Element, ParseError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        match reader.read_event().map_err(err)? {
            Event::Start(e) => {
                if stack.len() > MAX_DEPTH {
                    return Err(err(format!(
                        "elements nested more than {MAX_DEPTH} levels deep"
                    )));
                }
                stack.push(Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Element::default()
                })
            }
            Event::Empty(e) => {
                let el = Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Element::default()
                };
                if let Some(top) = stack.last_mut() {
                    top.children.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| err("unbalanced end tag"))?;
                let parent = stack.last_mut().ok_or_else(|| err("unbalanced end tag"))?;
                parent.children.push(el);
            }
            Event::Text(t) => {
                let s = t.decode().map_err(err)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                let s = t.decode().map_err(err)?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(err)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(err)?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| err(format!("unknown entity &{name};")))?
                            .to_string()
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(err("unterminated element"));
    }
    stack.pop().ok_or_else(|| err("empty document"))
}

/// The envelope of a gluster `--xml` answer, with the volumes of a `volume info`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CliOutput {
    /// 0 on success.
    pub op_ret: i32,
    /// gluster's error number (30806 = volume does not exist).
    pub op_errno: i32,
    /// gluster's error text.
    pub op_errstr: String,
    /// `volInfo/volumes/volume` entries, if any.
    pub volumes: Vec<GlusterVolume>,
}

impl CliOutput {
    /// `opRet == 0`.
    pub fn ok(&self) -> bool {
        self.op_ret == 0
    }

    /// The failure says the volume does not exist.
    pub fn volume_missing(&self) -> bool {
        !self.ok() && self.op_errstr.contains("does not exist")
    }
}

fn volume(v: &Element) -> GlusterVolume {
    let status = match v.text_of("statusStr") {
        s if !s.is_empty() => s,
        _ => match v.text_of("status").as_str() {
            "0" => "Created".to_string(),
            "1" => "Started".to_string(),
            "2" => "Stopped".to_string(),
            other => other.to_string(),
        },
    };
    let bricks = v
        .child("bricks")
        .map(|b| {
            b.children("brick")
                .map(|br| match br.text_of("name") {
                    n if !n.is_empty() => n,
                    _ => br.text.trim().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let options = v
        .child("options")
        .map(|o| {
            o.children("option")
                .map(|op| (op.text_of("name"), op.text_of("value")))
                .collect()
        })
        .unwrap_or_default();
    GlusterVolume {
        name: v.text_of("name"),
        id: v.text_of("id"),
        status,
        bricks,
        type_name: v.text_of("typeStr"),
        options,
    }
}

/// Parse a `<cliOutput>` document.
pub fn cli_output(xml: &str) -> Result<CliOutput, ParseError> {
    let root = parse_tree(xml)?;
    let cli = root
        .child("cliOutput")
        .ok_or_else(|| err("no <cliOutput> element"))?;
    let op_ret = cli
        .text_of("opRet")
        .parse::<i32>()
        .map_err(|e| err(format!("opRet: {e}")))?;
    let op_errno = cli.text_of("opErrno").parse::<i32>().unwrap_or(0);
    let volumes = cli
        .child("volInfo")
        .and_then(|vi| vi.child("volumes"))
        .map(|vs| vs.children("volume").map(volume).collect())
        .unwrap_or_default();
    Ok(CliOutput {
        op_ret,
        op_errno,
        op_errstr: cli.text_of("opErrstr"),
        volumes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <volInfo>
    <volumes>
      <volume>
        <name>vol_test</name>
        <id>2ad4b6c2-5d3a-4d0c-9a4e-2b0c1f0b9e11</id>
        <status>1</status>
        <statusStr>Started</statusStr>
        <snapshotCount>0</snapshotCount>
        <brickCount>3</brickCount>
        <distCount>3</distCount>
        <replicaCount>3</replicaCount>
        <arbiterCount>0</arbiterCount>
        <disperseCount>0</disperseCount>
        <redundancyCount>0</redundancyCount>
        <type>2</type>
        <typeStr>Replicate</typeStr>
        <transport>0</transport>
        <bricks>
          <brick uuid="a1">10.213.7.11:/var/lib/heketi/mounts/b1/brick<name>10.213.7.11:/var/lib/heketi/mounts/b1/brick</name><hostUuid>a1</hostUuid><isArbiter>0</isArbiter></brick>
          <brick uuid="a2">10.213.7.12:/var/lib/heketi/mounts/b2/brick<name>10.213.7.12:/var/lib/heketi/mounts/b2/brick</name><hostUuid>a2</hostUuid><isArbiter>0</isArbiter></brick>
          <brick uuid="a3">10.213.7.13:/var/lib/heketi/mounts/b3/brick<name>10.213.7.13:/var/lib/heketi/mounts/b3/brick</name><hostUuid>a3</hostUuid><isArbiter>0</isArbiter></brick>
        </bricks>
        <optCount>2</optCount>
        <options>
          <option><name>user.heketi.id</name><value>0123abcd</value></option>
          <option><name>auth.allow</name><value>10.0.0.1 &amp; co</value></option>
        </options>
      </volume>
      <count>1</count>
    </volumes>
  </volInfo>
</cliOutput>
"#;

    #[test]
    fn volume_info_success() {
        let out = cli_output(INFO).unwrap();
        assert!(out.ok());
        assert_eq!(out.volumes.len(), 1);
        let v = &out.volumes[0];
        assert_eq!(v.name, "vol_test");
        assert_eq!(v.id, "2ad4b6c2-5d3a-4d0c-9a4e-2b0c1f0b9e11");
        assert_eq!(v.status, "Started");
        assert_eq!(v.type_name, "Replicate");
        assert_eq!(
            v.bricks,
            vec![
                "10.213.7.11:/var/lib/heketi/mounts/b1/brick",
                "10.213.7.12:/var/lib/heketi/mounts/b2/brick",
                "10.213.7.13:/var/lib/heketi/mounts/b3/brick"
            ]
        );
        assert_eq!(
            v.options,
            vec![
                ("user.heketi.id".to_string(), "0123abcd".to_string()),
                ("auth.allow".to_string(), "10.0.0.1 & co".to_string())
            ]
        );
    }

    #[test]
    fn volume_does_not_exist() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput><opRet>-1</opRet><opErrno>30806</opErrno><opErrstr>Volume does not exist</opErrstr></cliOutput>"#;
        let out = cli_output(xml).unwrap();
        assert!(!out.ok());
        assert_eq!(out.op_ret, -1);
        assert_eq!(out.op_errno, 30806);
        assert_eq!(out.op_errstr, "Volume does not exist");
        assert!(out.volume_missing());
        assert!(out.volumes.is_empty());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let depth = 200_000;
        let xml = format!(
            "<cliOutput><opRet>0</opRet>{}{}</cliOutput>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        // The stack of a tokio worker thread, where the executor parses answers.
        let parsed = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || cli_output(&xml).map_err(|e| e.to_string()))
            .expect("thread starts")
            .join()
            .expect("no panic");
        assert_eq!(
            parsed.err().as_deref(),
            Some("gluster xml: elements nested more than 64 levels deep")
        );
        let ok = format!(
            "<cliOutput><opRet>0</opRet>{}{}</cliOutput>",
            "<a>".repeat(62),
            "</a>".repeat(62)
        );
        assert!(cli_output(&ok).is_ok());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(
            cli_output("Connection failed. Please check if gluster daemon is operational.")
                .is_err()
        );
        assert!(cli_output("<cliOutput><opRet>0</opRet>").is_err());
        assert!(cli_output("<cliOutput><opRet>x</opRet></cliOutput>").is_err());
    }
}
