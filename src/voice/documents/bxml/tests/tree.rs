//! Just enough of an element tree, read back with quick-xml's Reader, to compare whole turns.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// An element read back from our output: enough of a tree to compare whole turns.
#[derive(Debug, PartialEq)]
pub(super) struct Element {
    pub(super) name: String,
    pub(super) attributes: Vec<(String, String)>,
    pub(super) text: String,
    pub(super) children: Vec<Element>,
}

impl Element {
    pub(super) fn new(
        name: &str,
        attributes: &[(&str, &str)],
        text: &str,
        children: Vec<Element>,
    ) -> Self {
        Element {
            name: name.to_owned(),
            attributes: attributes
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect(),
            text: text.to_owned(),
            children,
        }
    }

    pub(super) fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    pub(super) fn walk<'a>(&'a self, out: &mut Vec<&'a Element>) {
        out.push(self);
        for child in &self.children {
            child.walk(out);
        }
    }
}

/// Parses a BXML body back into its `<Response>` element, checking the XML declaration first.
pub(super) fn parse(body: &str) -> Element {
    // No trimming: text is split around entity references, and trimming each piece would eat
    // the spaces beside an `&amp;`. The writer adds no indentation to trim anyway.
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<Element> = Vec::new();
    let mut declared = false;
    loop {
        match reader.read_event().expect("our BXML is well-formed") {
            Event::Decl(_) => declared = true,
            Event::Start(start) => stack.push(open(&start)),
            Event::Empty(start) => {
                let element = open(&start);
                stack
                    .last_mut()
                    .expect("an empty verb sits in a Response")
                    .children
                    .push(element);
            }
            Event::Text(text) => stack
                .last_mut()
                .expect("text sits in an element")
                .text
                .push_str(&text.xml10_content().expect("UTF-8")),
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().expect("a valid reference") {
                    Some(character) => character.to_string(),
                    None => {
                        let name = reference.decode().expect("UTF-8");
                        resolve_predefined_entity(&name)
                            .expect("a predefined entity")
                            .to_owned()
                    }
                };
                stack
                    .last_mut()
                    .expect("text sits in an element")
                    .text
                    .push_str(&resolved);
            }
            Event::End(_) => {
                let element = stack.pop().expect("balanced tags");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => {
                        assert!(declared, "BXML starts with an XML declaration");
                        return element;
                    }
                }
            }
            Event::Eof => panic!("the document ended inside an element"),
            _ => {}
        }
    }
}

fn open(start: &BytesStart<'_>) -> Element {
    let name = String::from_utf8(start.name().as_ref().to_vec()).expect("UTF-8 name");
    let attributes = start
        .attributes()
        .map(|attribute| {
            let attribute = attribute.expect("a well-formed attribute");
            let key = String::from_utf8(attribute.key.as_ref().to_vec()).expect("UTF-8 key");
            let value = attribute
                .normalized_value(XmlVersion::Explicit1_0)
                .expect("an escaped value")
                .into_owned();
            (key, value)
        })
        .collect();
    Element {
        name,
        attributes,
        text: String::new(),
        children: Vec::new(),
    }
}
