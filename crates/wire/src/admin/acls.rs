//! ACLs: create bindings, describe the bindings matching a filter, delete
//! the bindings matching filters. The enums carry Kafka's names (`TOPIC`,
//! `PREFIXED`, `DESCRIBE_CONFIGS`, `ALLOW`, ...) through `Display` and
//! `FromStr`, as the REST API spells them.
//!
//! A cluster without an authorizer answers SECURITY_DISABLED.
//!
//! # References
//! - KIP-140 (ACL admin APIs), KIP-290 (prefixed patterns and pattern type
//!   filters), KIP-48 (delegation tokens), KIP-554 (USER resources)

use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::delete_acls_request::DeleteAclsFilter;
use kafka_protocol::messages::{
    CreateAclsRequest, CreateAclsResponse, DeleteAclsRequest, DeleteAclsResponse,
    DescribeAclsRequest, DescribeAclsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::{accept, kafka_enum, missing, Admin, Target};
use crate::error::{Error, ResponseError, Result};

kafka_enum! {
    /// The type of resource an ACL protects.
    pub enum AclResourceType: i8, "resource type" {
        /// In a filter: any type.
        Any = 1 => "ANY",
        /// A topic.
        Topic = 2 => "TOPIC",
        /// A consumer group.
        Group = 3 => "GROUP",
        /// The cluster (name `kafka-cluster`).
        Cluster = 4 => "CLUSTER",
        /// A transactional id.
        TransactionalId = 5 => "TRANSACTIONAL_ID",
        /// A delegation token.
        DelegationToken = 6 => "DELEGATION_TOKEN",
        /// A user principal.
        User = 7 => "USER",
    }
    /// A type this client does not know.
    unknown Unknown = 0 => "UNKNOWN";
}

kafka_enum! {
    /// How an ACL's resource name matches resource names.
    pub enum PatternType: i8, "pattern type" {
        /// In a filter: any pattern type.
        Any = 1 => "ANY",
        /// In a filter: the bindings that apply to the name given (literal
        /// matches, the wildcard `*`, and prefixes of it).
        Match = 2 => "MATCH",
        /// The exact name (or `*` for every name).
        Literal = 3 => "LITERAL",
        /// Every name starting with it.
        Prefixed = 4 => "PREFIXED",
    }
    /// A pattern type this client does not know.
    unknown Unknown = 0 => "UNKNOWN";
}

kafka_enum! {
    /// The operation an ACL allows or denies.
    pub enum AclOperation: i8, "ACL operation" {
        /// In a filter: any operation.
        Any = 1 => "ANY",
        /// Every operation.
        All = 2 => "ALL",
        /// Read (consume, fetch offsets).
        Read = 3 => "READ",
        /// Write (produce).
        Write = 4 => "WRITE",
        /// Create topics.
        Create = 5 => "CREATE",
        /// Delete topics, records, groups.
        Delete = 6 => "DELETE",
        /// Alter (partitions, ACLs).
        Alter = 7 => "ALTER",
        /// Describe (metadata, offsets, groups).
        Describe = 8 => "DESCRIBE",
        /// Inter-broker actions.
        ClusterAction = 9 => "CLUSTER_ACTION",
        /// Describe configs.
        DescribeConfigs = 10 => "DESCRIBE_CONFIGS",
        /// Alter configs.
        AlterConfigs = 11 => "ALTER_CONFIGS",
        /// Idempotent produce.
        IdempotentWrite = 12 => "IDEMPOTENT_WRITE",
        /// Create delegation tokens.
        CreateTokens = 13 => "CREATE_TOKENS",
        /// Describe delegation tokens.
        DescribeTokens = 14 => "DESCRIBE_TOKENS",
        /// Two-phase commit of transactions (KIP-939).
        TwoPhaseCommit = 15 => "TWO_PHASE_COMMIT",
    }
    /// An operation this client does not know.
    unknown Unknown = 0 => "UNKNOWN";
}

kafka_enum! {
    /// Whether an ACL allows or denies.
    pub enum AclPermissionType: i8, "permission type" {
        /// In a filter: either.
        Any = 1 => "ANY",
        /// Denies the operation.
        Deny = 2 => "DENY",
        /// Allows the operation.
        Allow = 3 => "ALLOW",
    }
    /// A permission type this client does not know.
    unknown Unknown = 0 => "UNKNOWN";
}

/// One ACL: who (`principal`, `host`) may or may not (`permission`) do what
/// (`operation`) on which resources (`resource_type`, `resource_name`,
/// `pattern_type`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclBinding {
    /// The type of resource.
    pub resource_type: AclResourceType,
    /// The resource name, or prefix for PREFIXED, or `*` for all.
    pub resource_name: String,
    /// LITERAL or PREFIXED.
    pub pattern_type: PatternType,
    /// The principal, e.g. `User:alice` (`User:*` for everyone).
    pub principal: String,
    /// The client host, or `*` for any.
    pub host: String,
    /// The operation.
    pub operation: AclOperation,
    /// ALLOW or DENY.
    pub permission: AclPermissionType,
}

impl AclBinding {
    fn describe(&self) -> String {
        format!(
            "ACL binding ({} {} {}, {} from {}, {} {})",
            self.resource_type,
            self.pattern_type,
            self.resource_name,
            self.principal,
            self.host,
            self.permission,
            self.operation
        )
    }

    fn to_creation(&self) -> AclCreation {
        AclCreation::default()
            .with_resource_type(self.resource_type.code())
            .with_resource_name(StrBytes::from_string(self.resource_name.clone()))
            .with_resource_pattern_type(self.pattern_type.code())
            .with_principal(StrBytes::from_string(self.principal.clone()))
            .with_host(StrBytes::from_string(self.host.clone()))
            .with_operation(self.operation.code())
            .with_permission_type(self.permission.code())
    }

    fn validate(&self) -> Result<()> {
        let concrete = !matches!(
            self.resource_type,
            AclResourceType::Any | AclResourceType::Unknown
        ) && matches!(
            self.pattern_type,
            PatternType::Literal | PatternType::Prefixed
        ) && !matches!(self.operation, AclOperation::Any | AclOperation::Unknown)
            && matches!(
                self.permission,
                AclPermissionType::Allow | AclPermissionType::Deny
            );
        if concrete {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "{} uses a filter value (ANY, MATCH or UNKNOWN)",
                self.describe()
            )))
        }
    }
}

/// A filter over ACL bindings: `None` strings and `ANY` values match
/// everything; pattern type `MATCH` matches the bindings that apply to the
/// resource name given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AclBindingFilter {
    /// Resource type, or ANY.
    pub resource_type: AclResourceType,
    /// Resource name, or `None` for any.
    pub resource_name: Option<String>,
    /// Pattern type, ANY, or MATCH.
    pub pattern_type: PatternType,
    /// Principal, or `None` for any.
    pub principal: Option<String>,
    /// Host, or `None` for any.
    pub host: Option<String>,
    /// Operation, or ANY.
    pub operation: AclOperation,
    /// Permission, or ANY.
    pub permission: AclPermissionType,
}

impl AclBindingFilter {
    /// The filter matching every binding.
    pub fn any() -> AclBindingFilter {
        AclBindingFilter {
            resource_type: AclResourceType::Any,
            resource_name: None,
            pattern_type: PatternType::Any,
            principal: None,
            host: None,
            operation: AclOperation::Any,
            permission: AclPermissionType::Any,
        }
    }

    /// The filter matching exactly `binding`.
    pub fn exact(binding: &AclBinding) -> AclBindingFilter {
        AclBindingFilter {
            resource_type: binding.resource_type,
            resource_name: Some(binding.resource_name.clone()),
            pattern_type: binding.pattern_type,
            principal: Some(binding.principal.clone()),
            host: Some(binding.host.clone()),
            operation: binding.operation,
            permission: binding.permission,
        }
    }

    fn describe(&self) -> String {
        let any = |s: &Option<String>| s.clone().unwrap_or_else(|| "*any*".into());
        format!(
            "ACL filter ({} {} {}, {} from {}, {} {})",
            self.resource_type,
            self.pattern_type,
            any(&self.resource_name),
            any(&self.principal),
            any(&self.host),
            self.permission,
            self.operation
        )
    }

    fn validate(&self) -> Result<()> {
        if [
            self.resource_type == AclResourceType::Unknown,
            self.pattern_type == PatternType::Unknown,
            self.operation == AclOperation::Unknown,
            self.permission == AclPermissionType::Unknown,
        ]
        .contains(&true)
        {
            return Err(Error::InvalidArgument(format!(
                "{} uses UNKNOWN",
                self.describe()
            )));
        }
        Ok(())
    }

    fn to_describe_request(&self) -> DescribeAclsRequest {
        DescribeAclsRequest::default()
            .with_resource_type_filter(self.resource_type.code())
            .with_resource_name_filter(self.resource_name.clone().map(StrBytes::from_string))
            .with_pattern_type_filter(self.pattern_type.code())
            .with_principal_filter(self.principal.clone().map(StrBytes::from_string))
            .with_host_filter(self.host.clone().map(StrBytes::from_string))
            .with_operation(self.operation.code())
            .with_permission_type(self.permission.code())
    }

    fn to_delete_filter(&self) -> DeleteAclsFilter {
        DeleteAclsFilter::default()
            .with_resource_type_filter(self.resource_type.code())
            .with_resource_name_filter(self.resource_name.clone().map(StrBytes::from_string))
            .with_pattern_type_filter(self.pattern_type.code())
            .with_principal_filter(self.principal.clone().map(StrBytes::from_string))
            .with_host_filter(self.host.clone().map(StrBytes::from_string))
            .with_operation(self.operation.code())
            .with_permission_type(self.permission.code())
    }
}

/// Reads a CreateAcls response: one result per binding, in order.
pub(crate) fn create_results(
    bindings: &[AclBinding],
    response: CreateAclsResponse,
    version: i16,
) -> Vec<Result<()>> {
    let mut results = response.results.into_iter();
    bindings
        .iter()
        .map(|b| match results.next() {
            None => Err(missing("CreateAcls", version, b.describe())),
            Some(r) => match ResponseError::try_from_code(r.error_code) {
                None => Ok(()),
                Some(code) => Err(Error::resource(
                    code,
                    "CreateAcls",
                    b.describe(),
                    r.error_message.map(|m| m.to_string()),
                )),
            },
        })
        .collect()
}

/// Reads a DescribeAcls response into bindings.
pub(crate) fn described_bindings(
    filter: &AclBindingFilter,
    response: DescribeAclsResponse,
) -> Result<Vec<AclBinding>> {
    if let Some(code) = ResponseError::try_from_code(response.error_code) {
        return Err(Error::resource(
            code,
            "DescribeAcls",
            filter.describe(),
            response.error_message.map(|m| m.to_string()),
        ));
    }
    Ok(response
        .resources
        .into_iter()
        .flat_map(|r| {
            let resource_type = AclResourceType::from_code(r.resource_type);
            let pattern_type = PatternType::from_code(r.pattern_type);
            let resource_name = r.resource_name.to_string();
            r.acls.into_iter().map(move |a| AclBinding {
                resource_type,
                resource_name: resource_name.clone(),
                pattern_type,
                principal: a.principal.to_string(),
                host: a.host.to_string(),
                operation: AclOperation::from_code(a.operation),
                permission: AclPermissionType::from_code(a.permission_type),
            })
        })
        .collect())
}

/// Reads a DeleteAcls response: per filter, the bindings it deleted, or its
/// error (the filter's, or the first error of a binding it matched).
pub(crate) fn delete_results(
    filters: &[AclBindingFilter],
    response: DeleteAclsResponse,
    version: i16,
) -> Vec<Result<Vec<AclBinding>>> {
    let mut results = response.filter_results.into_iter();
    filters
        .iter()
        .map(|f| {
            let Some(r) = results.next() else {
                return Err(missing("DeleteAcls", version, f.describe()));
            };
            if let Some(code) = ResponseError::try_from_code(r.error_code) {
                return Err(Error::resource(
                    code,
                    "DeleteAcls",
                    f.describe(),
                    r.error_message.map(|m| m.to_string()),
                ));
            }
            let mut deleted = Vec::with_capacity(r.matching_acls.len());
            for m in r.matching_acls {
                let binding = AclBinding {
                    resource_type: AclResourceType::from_code(m.resource_type),
                    resource_name: m.resource_name.to_string(),
                    pattern_type: PatternType::from_code(m.pattern_type),
                    principal: m.principal.to_string(),
                    host: m.host.to_string(),
                    operation: AclOperation::from_code(m.operation),
                    permission: AclPermissionType::from_code(m.permission_type),
                };
                if let Some(code) = ResponseError::try_from_code(m.error_code) {
                    return Err(Error::resource(
                        code,
                        "DeleteAcls",
                        binding.describe(),
                        m.error_message.map(|m| m.to_string()),
                    ));
                }
                deleted.push(binding);
            }
            Ok(deleted)
        })
        .collect()
}

impl Admin {
    /// Creates ACL bindings; one result per binding, in order. Bindings must
    /// be concrete (no ANY, MATCH or UNKNOWN values).
    pub async fn create_acls(&self, bindings: &[AclBinding]) -> Result<Vec<Result<()>>> {
        for b in bindings {
            b.validate()?;
        }
        if bindings.is_empty() {
            return Ok(Vec::new());
        }
        let creations: Vec<AclCreation> = bindings.iter().map(AclBinding::to_creation).collect();
        let (response, version) = self
            .call::<CreateAclsRequest, _, _>(
                Target::Any,
                |_| Ok(CreateAclsRequest::default().with_creations(creations.clone())),
                accept,
            )
            .await?;
        Ok(create_results(bindings, response, version))
    }

    /// The ACL bindings matching `filter`.
    pub async fn describe_acls(&self, filter: &AclBindingFilter) -> Result<Vec<AclBinding>> {
        filter.validate()?;
        let (response, _) = self
            .call::<DescribeAclsRequest, _, _>(
                Target::Any,
                |_| Ok(filter.to_describe_request()),
                accept,
            )
            .await?;
        described_bindings(filter, response)
    }

    /// Deletes the ACL bindings matching each filter; per filter, the
    /// bindings deleted (or its error), in order.
    pub async fn delete_acls(
        &self,
        filters: &[AclBindingFilter],
    ) -> Result<Vec<Result<Vec<AclBinding>>>> {
        for f in filters {
            f.validate()?;
        }
        if filters.is_empty() {
            return Ok(Vec::new());
        }
        let (response, version) = self
            .call::<DeleteAclsRequest, _, _>(
                Target::Any,
                |_| {
                    Ok(DeleteAclsRequest::default().with_filters(
                        filters
                            .iter()
                            .map(AclBindingFilter::to_delete_filter)
                            .collect(),
                    ))
                },
                accept,
            )
            .await?;
        Ok(delete_results(filters, response, version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::create_acls_response::AclCreationResult;
    use kafka_protocol::messages::delete_acls_response::{
        DeleteAclsFilterResult, DeleteAclsMatchingAcl,
    };
    use kafka_protocol::messages::describe_acls_response::{AclDescription, DescribeAclsResource};
    use kafka_protocol::protocol::{Decodable, Encodable};

    fn binding() -> AclBinding {
        AclBinding {
            resource_type: AclResourceType::Topic,
            resource_name: "orders-".into(),
            pattern_type: PatternType::Prefixed,
            principal: "User:alice".into(),
            host: "*".into(),
            operation: AclOperation::Write,
            permission: AclPermissionType::Allow,
        }
    }

    #[test]
    fn names_and_codes_are_kafkas() {
        let names: Vec<&str> = AclResourceType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            names,
            [
                "ANY",
                "TOPIC",
                "GROUP",
                "CLUSTER",
                "TRANSACTIONAL_ID",
                "DELEGATION_TOKEN",
                "USER"
            ]
        );
        let ops: Vec<(i8, &str)> = AclOperation::ALL
            .iter()
            .map(|o| (o.code(), o.as_str()))
            .collect();
        assert_eq!(ops[0], (1, "ANY"));
        assert_eq!(ops[8], (9, "CLUSTER_ACTION"));
        assert_eq!(ops[13], (14, "DESCRIBE_TOKENS"));
        for p in PatternType::ALL {
            assert_eq!(p.to_string().parse::<PatternType>(), Ok(*p));
        }
        assert_eq!(PatternType::Match.code(), 2);
        assert_eq!(
            "idempotent_write".parse(),
            Ok(AclOperation::IdempotentWrite)
        );
        assert_eq!("DENY".parse(), Ok(AclPermissionType::Deny));
        assert_eq!(AclPermissionType::Allow.code(), 3);
        assert_eq!(AclResourceType::from_code(99), AclResourceType::Unknown);
        assert!("READS".parse::<AclOperation>().is_err());
    }

    #[test]
    fn creations_carry_every_field() {
        let c = binding().to_creation();
        assert_eq!(
            (
                c.resource_type,
                c.resource_pattern_type,
                c.operation,
                c.permission_type
            ),
            (2, 4, 4, 3)
        );
        assert_eq!(
            (c.resource_name.as_str(), c.principal.as_str()),
            ("orders-", "User:alice")
        );
        let request = CreateAclsRequest::default().with_creations(vec![c]);
        for v in 1..=3 {
            let mut buf = bytes::BytesMut::new();
            request.encode(&mut buf, v).expect("encodes");
            assert_eq!(
                CreateAclsRequest::decode(&mut buf.freeze(), v).expect("decodes"),
                request
            );
        }
    }

    #[test]
    fn bindings_must_be_concrete_and_filters_known() {
        assert!(binding().validate().is_ok());
        let mut b = binding();
        b.pattern_type = PatternType::Match;
        assert!(matches!(b.validate(), Err(Error::InvalidArgument(_))));
        let mut b = binding();
        b.operation = AclOperation::Any;
        assert!(b.validate().is_err());
        assert!(AclBindingFilter::any().validate().is_ok());
        let mut f = AclBindingFilter::any();
        f.permission = AclPermissionType::Unknown;
        assert!(f.validate().is_err());
    }

    #[test]
    fn filters_become_requests() {
        let any = AclBindingFilter::any().to_describe_request();
        assert_eq!(
            (
                any.resource_type_filter,
                any.pattern_type_filter,
                any.operation,
                any.permission_type
            ),
            (1, 1, 1, 1)
        );
        assert!(any.resource_name_filter.is_none() && any.principal_filter.is_none());
        let exact = AclBindingFilter::exact(&binding()).to_delete_filter();
        assert_eq!(exact.resource_name_filter.as_deref(), Some("orders-"));
        assert_eq!(exact.host_filter.as_deref(), Some("*"));
        assert_eq!(exact.pattern_type_filter, 4);
        for v in 1..=3 {
            let mut buf = bytes::BytesMut::new();
            any.encode(&mut buf, v).expect("encodes");
            let request = DeleteAclsRequest::default().with_filters(vec![exact.clone()]);
            request.encode(&mut buf, v).expect("encodes");
        }
    }

    #[test]
    fn create_results_in_order_with_messages() {
        let bindings = [binding(), binding(), binding()];
        let response = CreateAclsResponse::default().with_results(vec![
            AclCreationResult::default(),
            AclCreationResult::default()
                .with_error_code(54)
                .with_error_message(Some(StrBytes::from_static_str("No Authorizer"))),
        ]);
        let results = create_results(&bindings, response, 3);
        assert!(results[0].is_ok());
        let e = results[1].as_ref().unwrap_err();
        assert_eq!(e.code(), Some(ResponseError::SecurityDisabled));
        assert_eq!(e.message(), Some("No Authorizer"));
        assert!(e.to_string().contains("User:alice"), "{e}");
        assert!(matches!(results[2], Err(Error::Protocol(_))));
    }

    #[test]
    fn described_and_deleted_bindings() {
        let response =
            DescribeAclsResponse::default().with_resources(vec![DescribeAclsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("orders-"))
                .with_pattern_type(4)
                .with_acls(vec![AclDescription::default()
                    .with_principal(StrBytes::from_static_str("User:alice"))
                    .with_host(StrBytes::from_static_str("*"))
                    .with_operation(4)
                    .with_permission_type(3)])]);
        let got = described_bindings(&AclBindingFilter::any(), response).expect("bindings");
        assert_eq!(got, vec![binding()]);
        let e = described_bindings(
            &AclBindingFilter::any(),
            DescribeAclsResponse::default().with_error_code(54),
        )
        .unwrap_err();
        assert_eq!(e.code(), Some(ResponseError::SecurityDisabled));

        let matching = |code: i16| {
            let b = binding();
            DeleteAclsMatchingAcl::default()
                .with_error_code(code)
                .with_resource_type(b.resource_type.code())
                .with_resource_name(StrBytes::from_string(b.resource_name))
                .with_pattern_type(b.pattern_type.code())
                .with_principal(StrBytes::from_string(b.principal))
                .with_host(StrBytes::from_string(b.host))
                .with_operation(b.operation.code())
                .with_permission_type(b.permission.code())
        };
        let filters = [
            AclBindingFilter::any(),
            AclBindingFilter::any(),
            AclBindingFilter::any(),
        ];
        let response = DeleteAclsResponse::default().with_filter_results(vec![
            DeleteAclsFilterResult::default().with_matching_acls(vec![matching(0)]),
            DeleteAclsFilterResult::default().with_matching_acls(vec![matching(0), matching(31)]),
            DeleteAclsFilterResult::default().with_error_code(54),
        ]);
        let results = delete_results(&filters, response, 3);
        assert_eq!(results[0].as_ref().expect("deleted"), &vec![binding()]);
        assert_eq!(
            results[1].as_ref().unwrap_err().code(),
            Some(ResponseError::ClusterAuthorizationFailed)
        );
        assert_eq!(
            results[2].as_ref().unwrap_err().code(),
            Some(ResponseError::SecurityDisabled)
        );
    }
}
