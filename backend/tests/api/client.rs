//! `tocsin-client` against the real server: the typed methods, the error
//! decoding, API keys and the RedFlash calls.

use std::time::Duration;

use serde_json::json;
use tocsin_client::types::{
    AddMember, AuditQuery, ContactUpdate, EventTargets, EventTemplates, FireRequest, ListQuery, LoginRequest,
    NewApiKey, NewContact, NewDestination, NewEvent, NewGroup, Notification, NotificationQuery, NotifyRequest, Scope,
};
use tocsin_client::{Client, Error};

use crate::helpers::{TestApp, ADMIN_PASSWORD};

on_both_backends!(
    the_client_fires_follows_and_closes_a_notification,
    the_client_keeps_the_status_and_body_of_errors,
    an_api_key_client_pages_a_group_and_uses_the_redflash_calls,
    the_client_reads_lists_and_system_endpoints,
);

/// An admin client, logged in through the client itself.
async fn admin(app: &TestApp) -> Client {
    let anonymous = Client::new(&app.address).unwrap();
    let login = LoginRequest { username: "admin".into(), password: ADMIN_PASSWORD.into() };
    let session = anonymous.create_session(&login).await.unwrap();
    assert_eq!(session.username, "admin");
    anonymous.with_token(session.token)
}

fn new_contact(slug: &str) -> NewContact {
    NewContact {
        slug: slug.into(),
        name: format!("Contact {slug}"),
        enabled: None,
        timezone: None,
        availability: None,
        operator: None,
        schedule: None,
    }
}

/// A contact whose one destination is the admin's inbox: delivered at once.
async fn inbox_contact(client: &Client, slug: &str) {
    client.create_contact(&new_contact(slug)).await.unwrap();
    let inbox =
        NewDestination { medium: "inbox".into(), label: None, settings: json!({"operator": "admin"}), enabled: None };
    client.create_destination(slug, &inbox).await.unwrap();
}

/// Polls until no delivery is queued or sending (30 s at most).
async fn settled(client: &Client, id: &str) -> Notification {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let n = client.get_notification(id).await.unwrap();
        if n.deliveries.iter().all(|d| !matches!(d.status.as_str(), "queued" | "sending")) {
            return n;
        }
        assert!(tokio::time::Instant::now() < deadline, "deliveries never settled: {n:#?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn the_client_fires_follows_and_closes_a_notification(app: TestApp) {
    let client = admin(&app).await;
    inbox_contact(&client, "ana").await;
    let event = NewEvent {
        slug: "disk-full".into(),
        name: "Disk full".into(),
        description: None,
        enabled: None,
        severity: None,
        targets: EventTargets { contacts: vec!["ana".into()], groups: vec![] },
        templates: EventTemplates {
            subject: "Disk full on {{ host }}".into(),
            body: "{{ host }} is full".into(),
            sms: String::new(),
        },
        escape: None,
        uei: None,
    };
    client.create_event(&event).await.unwrap();
    let mut request = FireRequest::default();
    request.args.insert("host".into(), json!("db1"));

    let plan = client.fire_event_dry_run("disk-full", &request).await.unwrap();
    assert!(plan.dry_run);
    assert_eq!(plan.rendered.subject, "Disk full on db1");
    assert_eq!(plan.recipients.len(), 1);
    assert_eq!(plan.recipients[0].contact, "ana");
    let none = client.list_notifications(&NotificationQuery::default()).await.unwrap();
    assert_eq!(none.total, 0, "a dry run stores nothing");

    let fired = client.fire_event("disk-full", &request, Some("client-test-1")).await.unwrap();
    assert_eq!((fired.deliveries, fired.attached), (1, false));
    let again = client.fire_event("disk-full", &request, Some("client-test-1")).await.unwrap();
    assert_eq!(again, fired, "the same idempotency key replays the first answer");

    let n = settled(&client, &fired.notification_id).await;
    assert_eq!(n.event.as_deref(), Some("disk-full"));
    assert_eq!(n.subject, "Disk full on db1");
    assert_eq!(n.deliveries[0].status, "delivered");
    let kinds: Vec<&str> = n.deliveries[0].timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["queued", "sending", "delivered"]);

    let acked = client.acknowledge_notification(&fired.notification_id).await.unwrap();
    assert_eq!(acked.state, "acknowledged");
    assert_eq!(acked.acknowledged_by.as_deref(), Some("operator:admin"));
    let resolved = client.resolve_notification(&fired.notification_id).await.unwrap();
    assert_eq!(resolved.state, "resolved");
    let listed = client
        .list_notifications(&NotificationQuery { state: Some("resolved".into()), ..NotificationQuery::default() })
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(listed.items[0].id, fired.notification_id);
}

async fn the_client_keeps_the_status_and_body_of_errors(app: TestApp) {
    let client = admin(&app).await;
    let missing = client.get_contact("ghost").await.unwrap_err();
    assert_eq!((missing.status(), missing.code()), (Some(404), Some("not_found")));
    assert!(!missing.api().unwrap().message().is_empty());

    client.create_contact(&new_contact("ana")).await.unwrap();
    let sms = NewDestination { medium: "sms".into(), label: None, settings: json!({"phone": "+44 12"}), enabled: None };
    let invalid = client.create_destination("ana", &sms).await.unwrap_err();
    let api = invalid.api().unwrap();
    assert_eq!((api.status, api.code()), (422, "validation_failed"));
    assert_eq!(api.details(), Some(&json!({"field": "settings.phone"})));
    assert!(api.message().contains("too short"), "{api}");

    let conflict = client.create_contact(&new_contact("ANA")).await.unwrap_err();
    assert_eq!((conflict.status(), conflict.code()), (Some(409), Some("conflict")));

    let stranger = Client::new(&app.address).unwrap().with_token("tsk_not-a-key");
    let refused = stranger.get_me().await.unwrap_err();
    assert_eq!((refused.status(), refused.code()), (Some(401), Some("unauthorized")));
    let reader = client
        .create_api_key(&NewApiKey { name: "reader".into(), scopes: vec![Scope::Read], expires_at: None })
        .await
        .unwrap();
    let reader = Client::new(&app.address).unwrap().with_token(reader.secret);
    let forbidden = reader.notify_contact("ana", &notify("hi"), None).await.unwrap_err();
    assert_eq!((forbidden.status(), forbidden.code()), (Some(403), Some("forbidden")));
    assert!(matches!(forbidden, Error::Api(_)));

    let bad_login = LoginRequest { username: "admin".into(), password: "wrong".into() };
    let err = Client::new(&app.address).unwrap().create_session(&bad_login).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
}

fn notify(message: &str) -> NotifyRequest {
    NotifyRequest { message: message.into(), subject: None }
}

async fn an_api_key_client_pages_a_group_and_uses_the_redflash_calls(app: TestApp) {
    let admin = admin(&app).await;
    inbox_contact(&admin, "ana").await;
    inbox_contact(&admin, "bob").await;
    let group = NewGroup {
        slug: "ops".into(),
        name: "Ops".into(),
        description: None,
        enabled: None,
        schedule: None,
        members: vec!["ana".into()],
    };
    admin.create_group(&group).await.unwrap();
    let ops = admin.add_group_member("ops", &AddMember { contact: "bob".into(), position: None }).await.unwrap();
    assert_eq!(ops.members.iter().map(|m| m.slug.as_str()).collect::<Vec<_>>(), ["ana", "bob"]);
    let event = NewEvent {
        slug: "db-down".into(),
        name: "DB down".into(),
        description: None,
        enabled: None,
        severity: None,
        targets: EventTargets { contacts: vec![], groups: vec!["ops".into()] },
        templates: EventTemplates { subject: String::new(), body: "{{ host }} is down".into(), sms: String::new() },
        escape: None,
        uei: None,
    };
    admin.create_event(&event).await.unwrap();
    let key = admin
        .create_api_key(&NewApiKey { name: "script".into(), scopes: vec![Scope::Send], expires_at: None })
        .await
        .unwrap();
    let script = Client::new(&app.address).unwrap().with_token(key.secret.clone());
    let me = script.get_me().await.unwrap();
    assert_eq!((me.kind.as_str(), me.scopes.as_slice()), ("api_key", [Scope::Send].as_slice()));

    let paged = script.notify_group("ops", &notify("db1 down"), Some("page-1")).await.unwrap();
    assert_eq!(paged.deliveries, 2);
    let plan = script.notify_group_dry_run("ops", &notify("db1 down")).await.unwrap();
    assert_eq!(plan.recipients.len(), 2);
    let direct = script.notify_contact("bob", &notify("just you"), None).await.unwrap();
    assert_eq!(direct.deliveries, 1);
    let n = settled(&admin, &paged.notification_id).await;
    assert_eq!(n.raised_by, format!("key:{}", key.prefix));
    assert_eq!(n.counts.get("delivered"), Some(&2));

    let legacy = script.redflash_notify_contact("ana", "legacy hello").await.unwrap();
    assert_eq!(legacy.message, "OK");
    assert_eq!(admin.get_notification(&legacy.notification_id).await.unwrap().body, "legacy hello");
    let legacy = script.redflash_notify_group("ops", "legacy team").await.unwrap();
    assert_eq!(admin.get_notification(&legacy.notification_id).await.unwrap().target, "ops");
    let legacy = script.redflash_fire_event("db-down", &[("host", "db7")]).await.unwrap();
    let fired = admin.get_notification(&legacy.notification_id).await.unwrap();
    assert_eq!((fired.event.as_deref(), fired.body.as_str()), (Some("db-down"), "db7 is down"));
    let missing = script.redflash_notify_contact("ghost", "hello").await.unwrap_err();
    assert_eq!((missing.status(), missing.code()), (Some(404), Some("not_found")));
    assert_eq!(missing.api().unwrap().message(), "ghost not found");
    let empty = script.redflash_notify_group("ops", "").await.unwrap_err();
    assert_eq!((empty.status(), empty.api().unwrap().message()), (Some(500), "Empty message"));
    let session = admin.redflash_notify_contact("ana", "with a session token").await.unwrap_err();
    assert_eq!(session.status(), Some(403), "RedFlash routes take API keys only");
}

async fn the_client_reads_lists_and_system_endpoints(app: TestApp) {
    let client = admin(&app).await;
    assert_eq!(client.get_healthz().await.unwrap(), "ok");
    assert!(client.get_readyz().await.unwrap().starts_with("ready"));
    assert!(client.get_metrics().await.unwrap().contains("# TYPE"));
    assert!(client.list_media().await.unwrap().iter().any(|m| m.name == "inbox"));
    inbox_contact(&client, "ana").await;
    client.create_contact(&new_contact("bob")).await.unwrap();
    let update = ContactUpdate { enabled: Some(false), ..ContactUpdate::default() };
    assert!(!client.update_contact("bob", &update).await.unwrap().enabled);
    let enabled = client.list_contacts(&ListQuery { enabled: Some(true), ..ListQuery::default() }).await.unwrap();
    assert_eq!(enabled.items.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>(), ["ana"]);
    let destinations = client.list_destinations("ana").await.unwrap();
    assert_eq!(destinations.len(), 1);
    let off = client.disable_destination(destinations[0].id).await.unwrap();
    assert!(!off.enabled);
    assert!(client.enable_destination(off.id).await.unwrap().enabled);
    assert_eq!(client.get_destination(off.id).await.unwrap().contact, "ana");
    client.delete_contact("bob").await.unwrap();
    assert_eq!(client.get_contact("bob").await.unwrap_err().status(), Some(404));
    assert_eq!(client.list_events(&ListQuery::default()).await.unwrap().total, 0);
    assert_eq!(client.list_groups(&ListQuery::default()).await.unwrap().total, 0);
    assert_eq!(client.list_operators().await.unwrap()[0].username, "admin");
    assert!(client.list_api_keys().await.unwrap().is_empty());
    let query = AuditQuery { target_kind: Some("contact".into()), ..AuditQuery::default() };
    assert!(client.list_audit_entries(&query).await.unwrap().total >= 3);
}
