//! A setting that cannot be used, named by its key: what the settings as a whole, a line and a
//! provider's own table all report, so start-up can say every problem the same way.

#[derive(Debug, thiserror::Error)]
pub enum SettingError {
    /// Every problem the settings files and variables had, one per line.
    #[error("{}", .0.join("\n"))]
    Load(Vec<String>),
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
}

pub fn invalid(key: impl Into<String>, problem: impl Into<String>) -> SettingError {
    SettingError::Invalid {
        key: key.into(),
        problem: problem.into(),
    }
}

impl From<figment::Error> for SettingError {
    fn from(error: figment::Error) -> Self {
        SettingError::Load(problems(error))
    }
}

/// Turns figment's errors into one plain line each: the key, where it was set, what is wrong.
pub fn problems(error: figment::Error) -> Vec<String> {
    error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let problem = match &e.kind {
                figment::error::Kind::UnknownField(..) => {
                    "is not a setting aidline knows".to_string()
                }
                other => other.to_string(),
            };
            let source = match e.metadata.as_ref() {
                Some(m) => match &m.source {
                    Some(file) => format!(" (in {file})"),
                    None => format!(" (from the {})", m.name),
                },
                None => String::new(),
            };
            format!("{key}{source}: {problem}")
        })
        .collect()
}
