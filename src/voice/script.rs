//! What the line says and does on one turn of a call, in no provider's words. Each provider's
//! document format (TwiML, NCCO, BXML…) is written from this by [`super::documents`].

/// One turn of a call: what to do, in order, until the caller answers or the call ends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Speak a text with a text-to-speech voice.
    Say(Speech),
    /// Play a recording, by an absolute address the service serves.
    Play { url: String },
    /// Wait for keys and/or speech, saying `prompt` meanwhile; what was heard goes to `action`.
    Listen(Listen),
    /// Record a message; the caller ends it with `end_key` or silence.
    Record(Record),
    /// Fetch the next turn from another address of ours.
    Redirect { url: String },
    /// End the call.
    Hangup,
    /// Refuse the call without answering it, so it costs the caller nothing. Only meaningful as
    /// the whole script.
    Reject,
}

/// A text to speak and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speech {
    pub text: String,
    /// BCP 47, with a region where voices need one: `en-US`, `es-MX`.
    pub language: String,
    /// The provider's name for a voice (`Polly.Joanna`, `WOMAN`), when the settings give one.
    pub voice: Option<String>,
}

/// What a question waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    /// Said (or played) while listening; a caller who knows the answer can press at once.
    pub prompt: Vec<Step>,
    pub keys: bool,
    pub speech: bool,
    /// How many keys make an answer (1 for a menu); `None` for as many as come before `end_key`.
    pub max_keys: Option<u32>,
    /// The key that ends a typed answer (`#`).
    pub end_key: Option<char>,
    /// Seconds of quiet before the turn ends with nothing heard.
    pub timeout_seconds: u32,
    /// The language speech is recognised in (BCP 47).
    pub language: String,
    /// Words the recogniser should expect: the choices' words.
    pub hints: Vec<String>,
    /// The absolute address that gets what was heard.
    pub action: String,
}

/// A message left by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub max_seconds: u32,
    /// Seconds of silence that end the message.
    pub silence_seconds: u32,
    pub end_key: char,
    /// Where the provider posts once recording ends (the call goes on from its answer).
    pub action: String,
    /// Where the provider says the recording is ready to fetch.
    pub recording_callback: String,
    /// Where the provider posts its transcription, when the line asks for one.
    pub transcription_callback: Option<String>,
}
