//! The soak in the normal test suite, smaller: 300 refunds at 20% faults must come out with none
//! doubled, lost or unresolved — so a regression cannot land.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_refunds_under_twenty_percent_faults() {
    let report = paybridge_soak::run(&paybridge_soak::SoakConfig::default())
        .await
        .unwrap();
    eprintln!("{}", report.line());
    assert_eq!(report.refunds, 300);
    assert!(report.faults_injected > 20, "{}", report.line());
    assert!(report.clean(), "{}", report.line());
}
