use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One page of a list, with the total number of matching items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: i64,
    /// The page size that was applied.
    pub limit: i64,
    /// How many matching items come before this page.
    pub offset: i64,
}

/// Paging and search parameters of list operations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    pub offset: Option<i64>,
    /// Only items whose slug or name contains this text (any case).
    pub q: Option<String>,
    /// Only enabled (`true`) or disabled (`false`) items.
    pub enabled: Option<bool>,
}
