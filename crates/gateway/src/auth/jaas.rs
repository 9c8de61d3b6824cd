//! The JAAS configuration file (`java.security.auth.login.config`), as far
//! as HTTP Basic authentication needs it: the entry named by the realm and
//! the `file` option of its property-file login module.
//!
//! ```text
//! KafkaRest {
//!     org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required
//!     file="/etc/kafka-rest/password.properties";
//! };
//! ```
//!
//! # References
//! - Java's `ConfigFile` syntax (`javax.security.auth.login.Configuration`).

/// Login modules that read a Jetty-style password file.
const PROPERTY_FILE_MODULES: &[&str] = &[
    "org.eclipse.jetty.jaas.spi.PropertyFileLoginModule",
    "org.eclipse.jetty.security.jaas.spi.PropertyFileLoginModule",
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule",
];

/// The password file named by `realm`'s entry in the JAAS configuration
/// `text`.
pub(super) fn password_file(text: &str, realm: &str) -> Result<String, String> {
    let tokens = tokenize(text)?;
    let mut i = 0;
    while i < tokens.len() {
        let Token::Word(name) = &tokens[i] else {
            return Err(format!("expected an entry name, found {:?}", tokens[i]));
        };
        if tokens.get(i + 1) != Some(&Token::Open) {
            return Err(format!("expected `{{` after `{name}`"));
        }
        let close = tokens[i..]
            .iter()
            .position(|t| *t == Token::Close)
            .map(|p| i + p)
            .ok_or_else(|| format!("entry `{name}` has no closing `}}`"))?;
        if name == realm {
            return module_file(&tokens[i + 2..close], realm);
        }
        i = close + 1;
        if tokens.get(i) == Some(&Token::Semicolon) {
            i += 1;
        }
    }
    Err(format!("no entry named `{realm}`"))
}

/// The `file` option of the entry's property-file login module.
fn module_file(entry: &[Token], realm: &str) -> Result<String, String> {
    let Some(Token::Word(module)) = entry.first() else {
        return Err(format!("entry `{realm}` names no login module"));
    };
    if !PROPERTY_FILE_MODULES.contains(&module.as_str()) {
        return Err(format!(
            "login module `{module}` is not supported; the gateway reads users from a \
             PropertyFileLoginModule password file"
        ));
    }
    let mut options = entry[1..].iter();
    // The control flag (required, requisite, sufficient, optional).
    options.next();
    while let Some(token) = options.next() {
        match token {
            Token::Semicolon => break,
            Token::Word(key) => {
                if options.next() != Some(&Token::Equals) {
                    return Err(format!("option `{key}` of `{realm}` has no value"));
                }
                match options.next() {
                    Some(Token::Word(value)) | Some(Token::Quoted(value)) if key == "file" => {
                        return Ok(value.clone())
                    }
                    Some(Token::Word(_)) | Some(Token::Quoted(_)) => {}
                    _ => return Err(format!("option `{key}` of `{realm}` has no value")),
                }
            }
            other => return Err(format!("unexpected {other:?} in entry `{realm}`")),
        }
    }
    Err(format!(
        "the login module of `{realm}` has no `file` option"
    ))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
    Semicolon,
    Equals,
}

/// Splits the file into tokens, dropping `//` and `/* */` comments.
fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '{' => tokens.push(Token::Open),
            '}' => tokens.push(Token::Close),
            ';' => tokens.push(Token::Semicolon),
            '=' => tokens.push(Token::Equals),
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                loop {
                    match chars.next() {
                        Some('/') if last == '*' => break,
                        Some(c) => last = c,
                        None => return Err("unterminated comment".into()),
                    }
                }
            }
            '"' => {
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => value.push(c),
                            None => return Err("unterminated string".into()),
                        },
                        Some(c) => value.push(c),
                        None => return Err("unterminated string".into()),
                    }
                }
                tokens.push(Token::Quoted(value));
            }
            c => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || "{};=\"".contains(next) {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
// The REST proxy's users.
KafkaRest {
    org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required
    debug="true"
    file="/etc/kafka-rest/password.properties";
};

/* Another service's entry. */
KafkaClient {
    org.apache.kafka.common.security.plain.PlainLoginModule required
    username="a" password="b;c";
};
"#;

    #[test]
    fn finds_the_realm_and_its_password_file() {
        assert_eq!(
            password_file(CONFIG, "KafkaRest").unwrap(),
            "/etc/kafka-rest/password.properties"
        );
        let unquoted =
            "R { org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required file=/p; };";
        assert_eq!(password_file(unquoted, "R").unwrap(), "/p");
    }

    #[test]
    fn explains_what_it_cannot_use() {
        for (text, realm, expected) in [
            (CONFIG, "Other", "no entry named `Other`"),
            (CONFIG, "KafkaClient", "login module `org.apache.kafka.common.security.plain.PlainLoginModule` is not supported"),
            ("R { org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required; };", "R", "no `file` option"),
            ("R { x required file=\"/p", "R", "unterminated string"),
            ("R org.x required;", "R", "expected `{` after `R`"),
            ("R { x required file=/p; ", "R", "no closing `}`"),
            ("/* open", "R", "unterminated comment"),
        ] {
            let err = password_file(text, realm).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
