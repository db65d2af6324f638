//! What the audit trail records. Every kind of change has one name (`target.verb`, the
//! `action` column) and one kind of target (the `target_type` column), both decided
//! here and nowhere else.

/// A change to a role or a permission set, which share the matrix's verbs (see
/// [`AuditAction::bundle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleChange {
    Created,
    Updated,
    Deleted,
    PermissionAdded,
    PermissionRemoved,
}

/// Declares the actions from one table: variant, name, target type.
macro_rules! audit_actions {
    ($($variant:ident => $name:literal, $target:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum AuditAction {
            $($variant,)*
        }

        impl AuditAction {
            /// Every action.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The name written to the trail.
            pub const fn name(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)*
                }
            }

            /// The kind of thing the change is about.
            pub const fn target(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $target,)*
                }
            }
        }
    };
}

audit_actions! {
    AccountCreated => "account.created", "account";
    AuditExported => "audit.exported", "audit_trail";
    SignedIn => "auth.sign_in", "principal";
    SignInFailed => "auth.sign_in_failed", "principal";
    SignedOut => "auth.sign_out", "principal";
    SecondFactorEnrolled => "second_factor.enrolled", "principal";
    SecondFactorRemoved => "second_factor.removed", "principal";
    RecoveryCodesRenewed => "second_factor.recovery_codes_renewed", "principal";
    SecondFactorReset => "second_factor.reset", "principal";
    SecondFactorProved => "second_factor.proved", "principal";
    SecondFactorPolicyChanged => "organisation.second_factor_policy_changed", "organisation";
    SignOnChanged => "organisation.sign_on_changed", "organisation";
    IdentityLinked => "principal.identity_linked", "principal";
    ConsentRecorded => "consent.recorded", "data_subject";
    ConsentPurposeCreated => "consent_purpose.created", "consent_purpose";
    DecisionMade => "decision.made", "principal";
    FieldClassified => "resource_field.classified", "resource_field";
    FieldUnclassified => "resource_field.unclassified", "resource_field";
    PrincipalClearanceSet => "principal.clearance_set", "principal";
    BundleClearanceSet => "bundle.clearance_set", "bundle";
    DemoLoaded => "demo.loaded", "organisation";
    SubjectViewed => "data_subject.viewed", "data_subject";
    SubjectUpdated => "data_subject.updated", "data_subject";
    SubjectExported => "data_subject.exported", "data_subject";
    SubjectRectified => "data_subject.rectified", "data_subject";
    SubjectErased => "data_subject.erased", "data_subject";
    SubjectRequestsListed => "data_subject_request.listed", "data_subject_request";
    SubjectRequestViewed => "data_subject_request.viewed", "data_subject_request";
    SubjectRequestOpened => "data_subject_request.opened", "data_subject_request";
    SubjectRequestReceived => "data_subject_request.received", "data_subject_request";
    SubjectRequestIdentityVerified => "data_subject_request.identity_verified", "data_subject_request";
    SubjectRequestStarted => "data_subject_request.started", "data_subject_request";
    SubjectRequestCompleted => "data_subject_request.completed", "data_subject_request";
    SubjectRequestRejected => "data_subject_request.rejected", "data_subject_request";
    SubjectRequestExtended => "data_subject_request.extended", "data_subject_request";
    GrantCreated => "grant.created", "grant";
    GrantBirthrightChanged => "grant.birthright_changed", "grant";
    BirthrightRuleCreated => "birthright_rule.created", "birthright_rule";
    BirthrightRuleChanged => "birthright_rule.changed", "birthright_rule";
    BirthrightRuleRetired => "birthright_rule.retired", "birthright_rule";
    BirthrightWithheld => "birthright.withheld", "principal";
    LifecycleHeld => "lifecycle.held", "held_change";
    LifecycleHeldConfirmed => "lifecycle.held_confirmed", "held_change";
    LifecycleHeldDiscarded => "lifecycle.held_discarded", "held_change";
    PackageCreated => "package.created", "package";
    PackageRetired => "package.retired", "package";
    PackageRequested => "package_request.created", "package_request";
    PackageApprovedStep => "package_request.approved_step", "package_request";
    PackageApproved => "package_request.approved", "package_request";
    PackageDenied => "package_request.denied", "package_request";
    GroupCreated => "group.created", "group";
    GroupUpdated => "group.updated", "group";
    GroupDeleted => "group.deleted", "group";
    GrantRevoked => "grant.revoked", "grant";
    GrantExpired => "grant.expired", "grant";
    OrganisationCreated => "organisation.created", "organisation";
    OrganisationUpdated => "organisation.updated", "organisation";
    RoleCreated => "role.created", "role";
    RoleUpdated => "role.updated", "role";
    RoleDeleted => "role.deleted", "role";
    RolePermissionAdded => "role.permission_added", "role";
    RolePermissionRemoved => "role.permission_removed", "role";
    PermissionSetCreated => "permission_set.created", "permission_set";
    PermissionSetUpdated => "permission_set.updated", "permission_set";
    PermissionSetDeleted => "permission_set.deleted", "permission_set";
    PermissionSetPermissionAdded => "permission_set.permission_added", "permission_set";
    PermissionSetPermissionRemoved => "permission_set.permission_removed", "permission_set";
    PrincipalCreated => "principal.created", "principal";
    PrincipalUpdated => "principal.updated", "principal";
    PrincipalSuspended => "principal.suspended", "principal";
    PrincipalReactivated => "principal.reactivated", "principal";
    PrincipalOffboarded => "principal.offboarded", "principal";
    PrincipalAccountAssigned => "principal.account_assigned", "principal";
    PrincipalAccountUnassigned => "principal.account_unassigned", "principal";
    ReportExported => "report.exported", "report";
    RequestCreated => "request.created", "access_request";
    RequestCancelled => "request.cancelled", "access_request";
    RequestApprovedStep => "request.approved_step", "access_request";
    RequestApproved => "request.approved", "access_request";
    RequestDenied => "request.denied", "access_request";
    RequestExpired => "request.expired", "access_request";
    ReviewStarted => "review.started", "review_campaign";
    ReviewDecided => "review.decided", "grant";
    ReviewClosed => "review.closed", "review_campaign";
    SodRuleCreated => "sod_rule.created", "sod_rule";
    SodRuleDeleted => "sod_rule.deleted", "sod_rule";
    TokenCreated => "token.created", "application_token";
    TokenRevoked => "token.revoked", "application_token";
    WebhookCreated => "webhook.created", "webhook";
    WebhookEnabled => "webhook.enabled", "webhook";
    WebhookDisabled => "webhook.disabled", "webhook";
    WebhookDeliveryRetried => "webhook.delivery_retried", "webhook_delivery";
}

impl AuditAction {
    /// A change to a role (`is_role`) or a permission set.
    pub const fn bundle(is_role: bool, change: BundleChange) -> AuditAction {
        use AuditAction::*;
        use BundleChange as B;
        match (is_role, change) {
            (true, B::Created) => RoleCreated,
            (true, B::Updated) => RoleUpdated,
            (true, B::Deleted) => RoleDeleted,
            (true, B::PermissionAdded) => RolePermissionAdded,
            (true, B::PermissionRemoved) => RolePermissionRemoved,
            (false, B::Created) => PermissionSetCreated,
            (false, B::Updated) => PermissionSetUpdated,
            (false, B::Deleted) => PermissionSetDeleted,
            (false, B::PermissionAdded) => PermissionSetPermissionAdded,
            (false, B::PermissionRemoved) => PermissionSetPermissionRemoved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_action_has_its_own_name_of_the_form_target_dot_verb() {
        let names: HashSet<&str> = AuditAction::ALL.iter().map(|a| a.name()).collect();
        assert_eq!(
            names.len(),
            AuditAction::ALL.len(),
            "two actions share a name"
        );
        for action in AuditAction::ALL {
            let (subject, verb) = action.name().split_once('.').expect("target.verb");
            assert!(!subject.is_empty() && !verb.is_empty() && !verb.contains('.'));
            assert!(
                action
                    .name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'),
                "{}",
                action.name()
            );
            assert!(action
                .target()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }

    #[test]
    fn bundle_changes_name_the_kind_of_bundle() {
        assert_eq!(
            AuditAction::bundle(true, BundleChange::PermissionAdded).name(),
            "role.permission_added"
        );
        let deleted = AuditAction::bundle(false, BundleChange::Deleted);
        assert_eq!(deleted.name(), "permission_set.deleted");
        assert_eq!(deleted.target(), "permission_set");
        assert_eq!(AuditAction::ReviewDecided.target(), "grant");
        assert_eq!(AuditAction::SignInFailed.target(), "principal");
    }
}
