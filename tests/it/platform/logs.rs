//! SECURITY 16.2.5: the logs of a whole flow, at every level, never contain a session secret
//! or a password.

use crate::support::*;

backend_tests! {
    async fn no_secret_or_password_in_the_logs(app: TestApp) {
        let mut secrets: Vec<String> = Vec::new();
        let new_password = "another very secret passphrase";
        let logs = capture_logs(async {
            let (mut a, email) = app.signed_up(CHROME_MAC).await;
            let mut b = app.device(FIREFOX_WINDOWS);
            b.log_in(&email).await;
            app.device(CHROME_MAC).form("/api/login", &[("email", &email), ("password", "a wrong guess here")]).await;
            a.get("/active-sessions").await;
            a.get(&format!("/active-sessions/{}/end", b.session_id())).await;
            a.form("/api/sessions/list", &[]).await;
            for device in [&a, &b] {
                secrets.push(device.cookie_value().unwrap().split_once('.').unwrap().1.to_owned());
            }
            a.form("/api/sessions/terminate", &[("id", &b.session_id())]).await;
            b.get("/active-sessions").await;
            a.form(
                "/api/change_password",
                &[("current_password", PASSWORD), ("new_password", new_password), ("log_out_others", "on")],
            )
            .await;
            a.form("/api/logout", &[]).await;
        })
        .await;
        assert!(logs.contains("finished processing request"), "the capture saw the requests");
        for secret in &secrets {
            assert!(!logs.contains(secret.as_str()), "a session secret is in the logs");
        }
        for password in [PASSWORD, new_password, "a wrong guess here"] {
            assert!(!logs.contains(password), "a password is in the logs");
            assert!(!logs.contains(&password.replace(' ', "+")), "a form-encoded password is in the logs");
        }
    }
}
