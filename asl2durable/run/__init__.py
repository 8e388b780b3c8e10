"""Running translations: local runs in the SDK's runner (local), moto's AWS (aws_local), the
behaviour check against moto's ASL interpreter (behaviour), recorded executions verified and
turned into tests (verify, recorded)."""
