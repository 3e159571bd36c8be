//! A neighbour's whole intake by text, every question answered: it files a groceries request in
//! the northside zone.

pub const INTAKE: [&str; 10] = [
    "hi",
    "1",
    "1",
    "bread and milk",
    "2",
    "northside",
    "Oak and 3rd",
    "morning",
    "no stairs",
    "Sam",
];
