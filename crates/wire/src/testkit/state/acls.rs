//! The ACL store: bindings of (resource type, name, pattern type) to
//! (principal, host, operation, permission), and Kafka's filter matching.
//! The bindings are stored and listed, not enforced: the cluster does not
//! authenticate clients.
//!
//! # References
//! - KIP-140 (ACL admin APIs), KIP-290 (prefixed patterns, MATCH filters)

/// `ResourceType` codes.
pub(crate) mod resource {
    pub(crate) const ANY: i8 = 1;
    pub(crate) const TOPIC: i8 = 2;
    pub(crate) const CLUSTER: i8 = 4;
    pub(crate) const USER: i8 = 7;
}

/// `PatternType` codes.
pub(crate) mod pattern {
    pub(crate) const ANY: i8 = 1;
    pub(crate) const MATCH: i8 = 2;
    pub(crate) const LITERAL: i8 = 3;
    pub(crate) const PREFIXED: i8 = 4;
}

/// `AclOperation` codes.
pub(crate) mod operation {
    pub(crate) const ANY: i8 = 1;
    pub(crate) const ALL: i8 = 2;
    pub(crate) const TWO_PHASE_COMMIT: i8 = 15;
}

/// `AclPermissionType` codes.
pub(crate) mod permission {
    pub(crate) const ANY: i8 = 1;
    pub(crate) const DENY: i8 = 2;
    pub(crate) const ALLOW: i8 = 3;
}

/// The name of the one CLUSTER resource.
const CLUSTER_NAME: &str = "kafka-cluster";
/// The resource name that matches every name in a LITERAL binding.
const WILDCARD: &str = "*";

/// One ACL binding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct AclBinding {
    pub(crate) resource_type: i8,
    pub(crate) resource_name: String,
    pub(crate) pattern_type: i8,
    pub(crate) principal: String,
    pub(crate) host: String,
    pub(crate) operation: i8,
    pub(crate) permission: i8,
}

/// A filter over bindings; `None` strings and the ANY codes match anything.
#[derive(Debug, Clone)]
pub(crate) struct AclFilter {
    pub(crate) resource_type: i8,
    pub(crate) resource_name: Option<String>,
    pub(crate) pattern_type: i8,
    pub(crate) principal: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) operation: i8,
    pub(crate) permission: i8,
}

impl AclBinding {
    /// Checks a binding to create; the error is the message for
    /// `INVALID_REQUEST`.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(resource::TOPIC..=resource::USER).contains(&self.resource_type) {
            return Err(format!("Invalid resource type {}", self.resource_type));
        }
        if self.pattern_type != pattern::LITERAL && self.pattern_type != pattern::PREFIXED {
            return Err(format!(
                "Invalid pattern type {}: only LITERAL and PREFIXED are allowed",
                self.pattern_type
            ));
        }
        if !(operation::ALL..=operation::TWO_PHASE_COMMIT).contains(&self.operation) {
            return Err(format!("Invalid operation {}", self.operation));
        }
        if self.permission != permission::ALLOW && self.permission != permission::DENY {
            return Err(format!("Invalid permission type {}", self.permission));
        }
        if self.resource_name.is_empty() {
            return Err("Resource name should not be empty".into());
        }
        if self.resource_type == resource::CLUSTER && self.resource_name != CLUSTER_NAME {
            return Err(format!(
                "The only valid name for the CLUSTER resource is {CLUSTER_NAME}"
            ));
        }
        match self.principal.split_once(':') {
            Some((kind, name)) if !kind.is_empty() && !name.is_empty() => Ok(()),
            _ => Err(format!(
                "Invalid principal {:?}: expected TYPE:NAME, e.g. User:alice",
                self.principal
            )),
        }
    }
}

impl AclFilter {
    /// Checks a filter: no field may be UNKNOWN (0). The error is the
    /// message for `INVALID_REQUEST`.
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (field, value) in [
            ("resource type", self.resource_type),
            ("pattern type", self.pattern_type),
            ("operation", self.operation),
            ("permission type", self.permission),
        ] {
            if value <= 0 {
                return Err(format!("The filter's {field} must not be UNKNOWN"));
            }
        }
        Ok(())
    }

    /// Kafka's `AclBindingFilter.matches`.
    pub(crate) fn matches(&self, b: &AclBinding) -> bool {
        self.matches_pattern(b) && self.matches_entry(b)
    }

    fn matches_pattern(&self, b: &AclBinding) -> bool {
        if self.resource_type != resource::ANY && self.resource_type != b.resource_type {
            return false;
        }
        if self.pattern_type != pattern::ANY
            && self.pattern_type != pattern::MATCH
            && self.pattern_type != b.pattern_type
        {
            return false;
        }
        let Some(name) = &self.resource_name else {
            return true;
        };
        if self.pattern_type == pattern::ANY || self.pattern_type == b.pattern_type {
            return *name == b.resource_name;
        }
        // MATCH: the bindings that would apply to a resource with this name.
        match b.pattern_type {
            pattern::LITERAL => *name == b.resource_name || b.resource_name == WILDCARD,
            pattern::PREFIXED => name.starts_with(&b.resource_name),
            _ => false,
        }
    }

    fn matches_entry(&self, b: &AclBinding) -> bool {
        self.principal.as_ref().is_none_or(|p| *p == b.principal)
            && self.host.as_ref().is_none_or(|h| *h == b.host)
            && (self.operation == operation::ANY || self.operation == b.operation)
            && (self.permission == permission::ANY || self.permission == b.permission)
    }
}

/// Every binding, kept sorted and without duplicates.
#[derive(Debug, Default)]
pub(crate) struct AclStore {
    bindings: std::collections::BTreeSet<AclBinding>,
}

impl AclStore {
    /// Adds a binding (adding an existing one changes nothing).
    pub(crate) fn add(&mut self, binding: AclBinding) {
        self.bindings.insert(binding);
    }

    /// The bindings a filter matches.
    pub(crate) fn matching(&self, filter: &AclFilter) -> Vec<AclBinding> {
        self.bindings
            .iter()
            .filter(|b| filter.matches(b))
            .cloned()
            .collect()
    }

    /// Removes and returns the bindings a filter matches.
    pub(crate) fn remove_matching(&mut self, filter: &AclFilter) -> Vec<AclBinding> {
        let removed = self.matching(filter);
        for b in &removed {
            self.bindings.remove(b);
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: i8 = 3;
    const READ: i8 = 3;
    const WRITE: i8 = 4;

    fn binding(rt: i8, name: &str, pt: i8, principal: &str, op: i8, perm: i8) -> AclBinding {
        AclBinding {
            resource_type: rt,
            resource_name: name.into(),
            pattern_type: pt,
            principal: principal.into(),
            host: "*".into(),
            operation: op,
            permission: perm,
        }
    }

    fn any() -> AclFilter {
        AclFilter {
            resource_type: resource::ANY,
            resource_name: None,
            pattern_type: pattern::ANY,
            principal: None,
            host: None,
            operation: operation::ANY,
            permission: permission::ANY,
        }
    }

    fn store() -> AclStore {
        let mut s = AclStore::default();
        s.add(binding(
            resource::TOPIC,
            "orders",
            pattern::LITERAL,
            "User:a",
            READ,
            permission::ALLOW,
        ));
        s.add(binding(
            resource::TOPIC,
            "ord",
            pattern::PREFIXED,
            "User:b",
            WRITE,
            permission::ALLOW,
        ));
        s.add(binding(
            resource::TOPIC,
            "*",
            pattern::LITERAL,
            "User:c",
            READ,
            permission::DENY,
        ));
        s.add(binding(
            GROUP,
            "orders",
            pattern::LITERAL,
            "User:a",
            READ,
            permission::ALLOW,
        ));
        s.add(binding(
            resource::TOPIC,
            "orders",
            pattern::LITERAL,
            "User:a",
            READ,
            permission::ALLOW,
        ));
        s
    }

    #[test]
    fn filters_match_like_kafka() {
        let s = store();
        assert_eq!(s.matching(&any()).len(), 4, "duplicates are stored once");
        let by_name = |pt: i8, name: &str| {
            s.matching(&AclFilter {
                resource_type: resource::TOPIC,
                resource_name: Some(name.into()),
                pattern_type: pt,
                ..any()
            })
            .len()
        };
        assert_eq!(
            by_name(pattern::MATCH, "orders"),
            3,
            "literal, prefix and wildcard"
        );
        assert_eq!(by_name(pattern::MATCH, "other"), 1, "wildcard only");
        assert_eq!(by_name(pattern::ANY, "orders"), 1, "exact names only");
        assert_eq!(by_name(pattern::LITERAL, "*"), 1);
        assert_eq!(by_name(pattern::PREFIXED, "ord"), 1);
        assert_eq!(by_name(pattern::PREFIXED, "orders"), 0);
        let count = |f: AclFilter| s.matching(&f).len();
        assert_eq!(
            count(AclFilter {
                principal: Some("User:a".into()),
                ..any()
            }),
            2
        );
        assert_eq!(
            count(AclFilter {
                operation: WRITE,
                ..any()
            }),
            1
        );
        assert_eq!(
            count(AclFilter {
                permission: permission::DENY,
                ..any()
            }),
            1
        );
        assert_eq!(
            count(AclFilter {
                resource_type: GROUP,
                ..any()
            }),
            1
        );
        assert_eq!(
            count(AclFilter {
                host: Some("10.0.0.1".into()),
                ..any()
            }),
            0
        );
    }

    #[test]
    fn removal_and_validation() {
        let mut s = store();
        let removed = s.remove_matching(&AclFilter {
            principal: Some("User:a".into()),
            ..any()
        });
        assert_eq!(removed.len(), 2);
        assert_eq!(s.matching(&any()).len(), 2);
        assert!(binding(
            resource::TOPIC,
            "t",
            pattern::LITERAL,
            "User:x",
            READ,
            permission::ALLOW
        )
        .validate()
        .is_ok());
        for bad in [
            binding(
                resource::ANY,
                "t",
                pattern::LITERAL,
                "User:x",
                READ,
                permission::ALLOW,
            ),
            binding(
                resource::TOPIC,
                "t",
                pattern::MATCH,
                "User:x",
                READ,
                permission::ALLOW,
            ),
            binding(
                resource::TOPIC,
                "t",
                pattern::LITERAL,
                "User:x",
                operation::ANY,
                permission::ALLOW,
            ),
            binding(
                resource::TOPIC,
                "t",
                pattern::LITERAL,
                "User:x",
                READ,
                permission::ANY,
            ),
            binding(
                resource::TOPIC,
                "",
                pattern::LITERAL,
                "User:x",
                READ,
                permission::ALLOW,
            ),
            binding(
                resource::TOPIC,
                "t",
                pattern::LITERAL,
                "alice",
                READ,
                permission::ALLOW,
            ),
            binding(
                resource::CLUSTER,
                "c",
                pattern::LITERAL,
                "User:x",
                READ,
                permission::ALLOW,
            ),
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert!(AclFilter {
            operation: 0,
            ..any()
        }
        .validate()
        .is_err());
        assert!(any().validate().is_ok());
    }
}
