//! Results of the planner tools as data, between the tools that compute them
//! ([`crate::tools`]) and the report that writes them ([`crate::report`]): tools → report
//! → plan → metrics, with no circle.

pub mod compare;
pub mod staffing;
pub mod sweep;
