//! The OpenAPI 3.1 document, generated from the operations' annotations; the refusals every
//! operation shares (401, 403, 429, 400, 415, 500) are added to each by one modifier so that
//! no operation can forget one.

use super::{handlers, problem::Problem};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, HeaderBuilder, OpenApi as Document, Ref, RefOr, ResponseBuilder,
        path::Operation,
        schema::{ObjectBuilder, Type},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Active sessions — operator API",
        description = "Find accounts, list and end their sessions, suspend and reinstate them, and read the audit feed \
            of security events. Authenticate with `Authorization: Bearer <token>` (`active-sessions api-token create`); \
            cookies are never accepted. Errors are RFC 9457 problem documents with a stable `type`.",
        version = "1"
    ),
    paths(
        handlers::find_user,
        handlers::list_sessions,
        handlers::end_session,
        handlers::end_all,
        handlers::suspend,
        handlers::reinstate,
        handlers::events,
    ),
    components(schemas(Problem)),
    modifiers(&Refusals),
    tags(
        (name = "users", description = "Accounts"),
        (name = "sessions", description = "Signed-in devices"),
        (name = "events", description = "The audit feed"),
    )
)]
struct ApiDoc;

/// The shared refusals and the bearer scheme.
struct Refusals;

fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
}

impl Modify for Refusals {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("ast_…").build()),
        );
        let seconds = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)))
            .description(Some("Seconds to wait"))
            .build();
        let shared = [
            ("BadRequest", problem("The path, query or body is not valid (`bad-request`, `invalid-reason`)").build()),
            ("Unauthorized", problem("No token, an unknown or revoked one, an expired one, or cookies only").build()),
            ("Forbidden", problem("The token lacks the scope this call needs (`insufficient-scope`)").build()),
            ("TooManyRequests", problem("The token is over its rate limit (`rate-limited`)").header("Retry-After", seconds).build()),
            ("UnsupportedMediaType", problem("The body is not `application/json`").build()),
            ("ServerError", problem("Something went wrong on the server (`server-error`)").build()),
        ];
        for (name, response) in shared {
            components.responses.insert(name.to_owned(), RefOr::T(response));
        }
        for item in doc.paths.paths.values_mut() {
            let operations: [&mut Option<Operation>; 3] = [&mut item.get, &mut item.post, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let mut add = |status: &str, name: &str| {
                    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                };
                add("400", "BadRequest");
                add("401", "Unauthorized");
                add("403", "Forbidden");
                add("429", "TooManyRequests");
                add("500", "ServerError");
                if operation.request_body.is_some() {
                    add("415", "UnsupportedMediaType");
                }
            }
        }
    }
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises");
        fix_links(&mut doc);
        serde_json::to_string_pretty(&doc).expect("the OpenAPI document serialises")
    })
}

/// utoipa 5.5 writes a link's `operationId` as `operation_id`; the specification's name is
/// `operationId` (without it, clients cannot follow the link).
fn fix_links(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else { return };
    for operation in paths.values_mut().filter_map(|item| item.as_object_mut()).flat_map(|item| item.values_mut()) {
        let Some(responses) = operation.get_mut("responses").and_then(|r| r.as_object_mut()) else { continue };
        for links in responses.values_mut().filter_map(|r| r.get_mut("links")).filter_map(|l| l.as_object_mut()) {
            for link in links.values_mut().filter_map(|l| l.as_object_mut()) {
                if let Some(id) = link.remove("operation_id") {
                    link.insert("operationId".to_owned(), id);
                }
            }
        }
    }
}

/// The document, for tests.
pub fn document() -> Document {
    ApiDoc::openapi()
}
